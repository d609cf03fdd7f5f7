package io.fedbase.secagg;

import io.fedbase.security.Identity;
import io.fedbase.security.Role;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Round 0 message: a node's two fresh X25519 public keys for one round, signed with the ECDSA
 * P-256 key of its certificate. The encryption key agrees the keys that carry Shamir shares; the
 * mask key agrees the pairwise mask seeds (kept apart because the coordinator may learn a dropped
 * node's mask private key, and must not thereby read its shares). The signature covers a domain
 * tag, the round, the node id, the round configuration hash and both keys, so a coordinator can
 * neither substitute keys, nor replay them from another round, nor show nodes different rounds.
 *
 * @param round the round the keys are for
 * @param nodeId the advertising node
 * @param configHash {@link RoundConfig#hash()} of the round the node was assigned
 * @param encryptionKey raw X25519 public key ("c" in Bonawitz et al.)
 * @param maskKey raw X25519 public key ("s" in Bonawitz et al.)
 * @param signature SHA256withECDSA (DER) by the node's certificate key
 */
public record KeyAdvertisement(long round, String nodeId, byte[] configHash, byte[] encryptionKey, byte[] maskKey, byte[] signature) {

  private static final String ALGORITHM = "SHA256withECDSA";
  private static final int HASH_BYTES = 32;

  public KeyAdvertisement {
    Objects.requireNonNull(nodeId, "nodeId");
    configHash = configHash.clone();
    encryptionKey = encryptionKey.clone();
    maskKey = maskKey.clone();
    signature = signature.clone();
  }

  /** Signs a node's public keys for {@code config}'s round. */
  public static KeyAdvertisement sign(RoundConfig config, String nodeId, byte[] encryptionKey, byte[] maskKey, PrivateKey signingKey) {
    byte[] hash = config.hash();
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(signingKey);
      s.update(signedBytes(config.round(), nodeId, hash, encryptionKey, maskKey));
      return new KeyAdvertisement(config.round(), nodeId, hash, encryptionKey, maskKey, s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the node's certificate key: " + e.getMessage(), e);
    }
  }

  /**
   * Checks the advertisement against the round this node was assigned and the sender's certificate.
   *
   * @throws SecAggException MALFORMED (key or hash lengths), WRONG_ROUND (another round: a replay),
   *     NOT_A_PARTICIPANT, UNKNOWN_NODE (from the lookup), WRONG_NODE (the certificate is not a
   *     node certificate for this id), CONFIG_MISMATCH (signed for another participant list or
   *     parameters), BAD_SIGNATURE
   */
  public void verify(RoundConfig config, CertificateLookup certificates) throws SecAggException {
    checkStructure(config);
    X509Certificate certificate = certificates.certificateOf(nodeId);
    Identity identity;
    try {
      identity = Identity.of(certificate);
    } catch (IllegalArgumentException e) {
      throw new SecAggException(SecAggException.Reason.WRONG_NODE, "the certificate for '" + nodeId + "' names no fedbase identity", e);
    }
    if (!identity.id().equals(nodeId) || identity.role() != Role.NODE) {
      throw new SecAggException(
          SecAggException.Reason.WRONG_NODE,
          "an advertisement claims node '" + nodeId + "' but the certificate is for " + identity.role().key() + " '" + identity.id() + "'");
    }
    if (!MessageDigest.isEqual(configHash, config.hash())) {
      throw new SecAggException(
          SecAggException.Reason.CONFIG_MISMATCH, "'" + nodeId + "' signed another participant list or parameters for round " + round);
    }
    boolean valid;
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(certificate.getPublicKey());
      s.update(signedBytes(round, nodeId, configHash, encryptionKey, maskKey));
      valid = s.verify(signature);
    } catch (SignatureException e) {
      valid = false; // an undecodable signature is a bad one
    } catch (GeneralSecurityException e) {
      throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE, "cannot verify the signature of '" + nodeId + "': " + e.getMessage(), e);
    }
    if (!valid) {
      throw new SecAggException(SecAggException.Reason.BAD_SIGNATURE, "the advertisement of '" + nodeId + "' is not signed by its certificate key");
    }
  }

  /**
   * What the coordinator can check without certificates: lengths, round, membership, config hash.
   */
  void checkStructure(RoundConfig config) throws SecAggException {
    if (!X25519.wellFormed(encryptionKey) || !X25519.wellFormed(maskKey) || configHash.length != HASH_BYTES || signature.length == 0) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "an advertisement holds two 32-byte keys, a 32-byte hash and a signature");
    }
    if (round != config.round()) {
      throw new SecAggException(SecAggException.Reason.WRONG_ROUND, "an advertisement of '" + nodeId + "' for round " + round + " in round " + config.round());
    }
    if (!config.isParticipant(nodeId)) {
      throw new SecAggException(SecAggException.Reason.NOT_A_PARTICIPANT, "'" + nodeId + "' is not a participant of round " + round);
    }
  }

  private static byte[] signedBytes(long round, String nodeId, byte[] configHash, byte[] encryptionKey, byte[] maskKey) {
    return new Encoder("fedbase/secagg/v1/key-advertisement")
        .u64(round)
        .string(nodeId)
        .bytes(configHash)
        .bytes(encryptionKey)
        .bytes(maskKey)
        .toByteArray();
  }

  @Override
  public byte[] configHash() {
    return configHash.clone();
  }

  @Override
  public byte[] encryptionKey() {
    return encryptionKey.clone();
  }

  @Override
  public byte[] maskKey() {
    return maskKey.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyAdvertisement a
        && a.round == round
        && a.nodeId.equals(nodeId)
        && Arrays.equals(a.configHash, configHash)
        && Arrays.equals(a.encryptionKey, encryptionKey)
        && Arrays.equals(a.maskKey, maskKey)
        && Arrays.equals(a.signature, signature);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(new Object[] {round, nodeId, Arrays.hashCode(maskKey), Arrays.hashCode(encryptionKey)});
  }

  @Override
  public String toString() {
    return "KeyAdvertisement[round=" + round + ", node=" + nodeId + ", maskKey=" + HexFormat.of().formatHex(maskKey, 0, 8) + "…]";
  }
}
