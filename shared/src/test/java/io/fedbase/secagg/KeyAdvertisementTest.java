package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Role;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyAdvertisementTest {

  @TempDir Path dir;

  private TestFederation federation;
  private RoundConfig round7;
  private final SecureRandom random = TestFederation.seeded(31);

  @BeforeEach
  void setUp() throws Exception {
    federation = new TestFederation(dir.resolve("ca"), List.of("a", "b", "c"));
    round7 = new RoundConfig(7, List.of("a", "b", "c"), 2, 100, 1f);
  }

  private KeyAdvertisement advertise(RoundConfig config, String claimedId, String signer) {
    KeyPair c = X25519.generate(random);
    KeyPair s = X25519.generate(random);
    return KeyAdvertisement.sign(
        config, claimedId, X25519.publicBytes(c.getPublic()), X25519.publicBytes(s.getPublic()), federation.nodes.get(signer).key());
  }

  private static SecAggException.Reason refusal(KeyAdvertisement ad, RoundConfig config, CertificateLookup lookup) {
    return assertThrows(SecAggException.class, () -> ad.verify(config, lookup)).reason();
  }

  @Test
  void aSignedAdvertisementVerifies() throws SecAggException {
    KeyAdvertisement ad = advertise(round7, "b", "b");
    ad.verify(round7, federation.lookup());
    assertEquals(ad, new KeyAdvertisement(ad.round(), ad.nodeId(), ad.configHash(), ad.encryptionKey(), ad.maskKey(), ad.signature()));
  }

  @Test
  void alteredKeysOrSignatureAreRefused() {
    KeyAdvertisement ad = advertise(round7, "b", "b");
    byte[] mask = ad.maskKey();
    mask[3] ^= 1;
    KeyAdvertisement swapped = new KeyAdvertisement(7, "b", ad.configHash(), ad.encryptionKey(), mask, ad.signature());
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, refusal(swapped, round7, federation.lookup()));

    // the coordinator substitutes a key of its own under the node's signature
    KeyAdvertisement substituted =
        new KeyAdvertisement(7, "b", ad.configHash(), X25519.publicBytes(X25519.generate(random).getPublic()), ad.maskKey(), ad.signature());
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, refusal(substituted, round7, federation.lookup()));

    byte[] sig = ad.signature();
    sig[sig.length - 1] ^= 1;
    assertEquals(
        SecAggException.Reason.BAD_SIGNATURE,
        refusal(new KeyAdvertisement(7, "b", ad.configHash(), ad.encryptionKey(), ad.maskKey(), sig), round7, federation.lookup()));
    assertEquals(
        SecAggException.Reason.BAD_SIGNATURE,
        refusal(new KeyAdvertisement(7, "b", ad.configHash(), ad.encryptionKey(), ad.maskKey(), new byte[] {1, 2, 3}), round7, federation.lookup()));
  }

  @Test
  void anAdvertisementReplayedFromAnotherRoundIsRefused() {
    KeyAdvertisement old = advertise(round7, "b", "b");
    RoundConfig round8 = new RoundConfig(8, round7.participants(), 2, 100, 1f);
    assertEquals(SecAggException.Reason.WRONG_ROUND, refusal(old, round8, federation.lookup()));
    // relabelled as round 8, the signature no longer holds
    KeyAdvertisement relabelled = new KeyAdvertisement(8, "b", old.configHash(), old.encryptionKey(), old.maskKey(), old.signature());
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, refusal(relabelled, round8, federation.lookup()));
  }

  @Test
  void anAdvertisementClaimingAnotherNodeIsRefused() throws Exception {
    // b signs keys under a's name: a's certificate does not verify b's signature
    KeyAdvertisement forged = advertise(round7, "a", "b");
    assertEquals(SecAggException.Reason.BAD_SIGNATURE, refusal(forged, round7, federation.lookup()));
    // and if the lookup is fooled into handing out b's certificate for "a", the identity check catches it
    CertificateLookup fooled = id -> federation.nodes.get("b").certificate();
    assertEquals(SecAggException.Reason.WRONG_NODE, refusal(forged, round7, fooled));
    // a reader's certificate cannot advertise as a node, even under its own id
    IssuedCertificate reader = federation.issue("c", Role.READER);
    KeyAdvertisement byReader =
        KeyAdvertisement.sign(round7, "c", X25519.publicBytes(X25519.generate(random).getPublic()), X25519.publicBytes(X25519.generate(random).getPublic()), reader.key());
    assertEquals(SecAggException.Reason.WRONG_NODE, refusal(byReader, round7, id -> reader.certificate()));
  }

  @Test
  void anotherParticipantListOrParametersAreRefused() throws Exception {
    RoundConfig bigger = new RoundConfig(7, List.of("a", "b", "c", "d"), 3, 100, 1f);
    KeyAdvertisement ad = advertise(bigger, "b", "b");
    assertEquals(SecAggException.Reason.CONFIG_MISMATCH, refusal(ad, round7, federation.lookup()));
    RoundConfig lowerThreshold = new RoundConfig(7, List.of("a", "b", "c"), 3, 100, 1f);
    assertEquals(SecAggException.Reason.CONFIG_MISMATCH, refusal(advertise(lowerThreshold, "b", "b"), round7, federation.lookup()));

    federation.nodes.put("d", federation.issue("d", Role.NODE));
    assertEquals(SecAggException.Reason.NOT_A_PARTICIPANT, refusal(advertise(bigger, "d", "d"), round7, federation.lookup()));
  }

  @Test
  void certificatesTheCallerDoesNotTrustAreRefused() throws Exception {
    KeyAdvertisement ad = advertise(round7, "b", "b");
    assertEquals(SecAggException.Reason.UNKNOWN_NODE, refusal(ad, round7, CertificateLookup.issuedBy(federation.ca.certificate(), Map.of())));
    TestFederation other = new TestFederation(dir.resolve("other-ca"), List.of("b"));
    CertificateLookup otherTrust = CertificateLookup.issuedBy(other.ca.certificate(), Map.of("b", federation.nodes.get("b").certificate()));
    assertEquals(SecAggException.Reason.UNKNOWN_NODE, refusal(ad, round7, otherTrust));
  }
}
