package io.fedbase.secagg;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.spec.InvalidKeySpecException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.KeyAgreement;

/**
 * X25519 keys as the raw 32 bytes of RFC 7748 (what goes on the wire and into Shamir shares),
 * and the Diffie-Hellman function on them.
 */
final class X25519 {

  static final int KEY_BYTES = 32;
  private static final BigInteger BASE_POINT = BigInteger.valueOf(9);

  private X25519() {}

  static KeyPair generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(NamedParameterSpec.X25519, random);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks X25519: " + e.getMessage(), e);
    }
  }

  /** The little-endian u-coordinate. */
  static byte[] publicBytes(PublicKey key) {
    BigInteger u = ((XECPublicKey) key).getU();
    byte[] be = u.toByteArray();
    byte[] le = new byte[KEY_BYTES];
    for (int i = 0; i < be.length && i < KEY_BYTES; i++) {
      le[i] = be[be.length - 1 - i];
    }
    return le;
  }

  /** The 32-byte scalar exactly as generated (clamping happens inside the function). */
  static byte[] privateBytes(PrivateKey key) {
    return ((XECPrivateKey) key)
        .getScalar()
        .orElseThrow(() -> new IllegalStateException("this X25519 private key does not expose its scalar"));
  }

  static PrivateKey privateKey(byte[] scalar) {
    try {
      return KeyFactory.getInstance("X25519").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks X25519: " + e.getMessage(), e);
    }
  }

  /** True for 32 bytes with the top bit clear: the one encoding of each key we accept. */
  static boolean wellFormed(byte[] publicKey) {
    return publicKey != null && publicKey.length == KEY_BYTES && (publicKey[KEY_BYTES - 1] & 0x80) == 0;
  }

  /**
   * The shared secret of {@code own} and the peer's raw public key.
   *
   * @throws SecAggException MALFORMED for a malformed key or one of small order (all-zero secret)
   */
  static byte[] agree(PrivateKey own, byte[] peerPublic) throws SecAggException {
    if (!wellFormed(peerPublic)) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "an X25519 public key is 32 bytes with the top bit clear");
    }
    byte[] be = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) {
      be[i] = peerPublic[KEY_BYTES - 1 - i];
    }
    return agree(own, new BigInteger(1, be));
  }

  /** The public key that goes with a raw private scalar: the function applied to the base point. */
  static byte[] publicOf(byte[] scalar) {
    try {
      return agree(privateKey(scalar), BASE_POINT);
    } catch (SecAggException e) {
      throw new IllegalStateException("the base point cannot give an all-zero result", e);
    }
  }

  private static byte[] agree(PrivateKey own, BigInteger u) throws SecAggException {
    try {
      PublicKey peer = KeyFactory.getInstance("X25519").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(own);
      ka.doPhase(peer, true);
      return ka.generateSecret();
    } catch (InvalidKeyException | InvalidKeySpecException e) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "unusable X25519 public key: " + e.getMessage(), e);
    } catch (IllegalStateException e) {
      // the JDK refuses an all-zero shared secret (a small-order peer key) this way
      throw new SecAggException(SecAggException.Reason.MALFORMED, "X25519 agreement failed: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks X25519: " + e.getMessage(), e);
    }
  }
}
