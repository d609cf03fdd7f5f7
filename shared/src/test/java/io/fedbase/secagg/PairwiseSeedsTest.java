package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.SecretKey;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.junit.jupiter.api.Test;

class PairwiseSeedsTest {

  private final SecureRandom random = TestFederation.seeded(21);
  private final RoundConfig config = new RoundConfig(3, List.of("alpha", "beta", "gamma"), 2, 10, 1f);

  @Test
  void hkdfMatchesRfc5869AndBouncyCastle() {
    // RFC 5869 test case 3: SHA-256, 22 bytes of 0x0b, no salt, no info
    byte[] ikm = new byte[22];
    Arrays.fill(ikm, (byte) 0x0b);
    assertEquals(
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        HexFormat.of().formatHex(Hkdf.derive(ikm, new byte[0], 42)));
    for (int length : new int[] {1, 32, 33, 100}) {
      byte[] key = new byte[32];
      byte[] info = new byte[length % 17];
      random.nextBytes(key);
      random.nextBytes(info);
      HKDFBytesGenerator bc = new HKDFBytesGenerator(new SHA256Digest());
      bc.init(new HKDFParameters(key, null, info));
      byte[] expected = new byte[length];
      bc.generateBytes(expected, 0, length);
      assertArrayEquals(expected, Hkdf.derive(key, info, length), "length " + length);
    }
  }

  @Test
  void x25519RawKeysRoundTripAndThePublicKeyFollowsFromTheScalar() throws SecAggException {
    KeyPair a = X25519.generate(random);
    KeyPair b = X25519.generate(random);
    byte[] aPublic = X25519.publicBytes(a.getPublic());
    assertArrayEquals(aPublic, X25519.publicOf(X25519.privateBytes(a.getPrivate())));
    assertArrayEquals(
        X25519.agree(a.getPrivate(), X25519.publicBytes(b.getPublic())),
        X25519.agree(X25519.privateKey(X25519.privateBytes(b.getPrivate())), aPublic));
    // the all-zero point has small order: refused, not a shared secret of zeros
    assertEquals(SecAggException.Reason.MALFORMED, assertThrows(SecAggException.class, () -> X25519.agree(a.getPrivate(), new byte[32])).reason());
    byte[] highBit = aPublic.clone();
    highBit[31] |= (byte) 0x80;
    assertEquals(SecAggException.Reason.MALFORMED, assertThrows(SecAggException.class, () -> X25519.agree(a.getPrivate(), highBit)).reason());
  }

  @Test
  void bothEndsDeriveTheSameSeedAndKeyAndOppositeSigns() throws SecAggException {
    KeyPair alphaMask = X25519.generate(random);
    KeyPair gammaMask = X25519.generate(random);
    byte[] fromAlpha = PairwiseSeeds.maskSeed(config, "alpha", alphaMask.getPrivate(), "gamma", X25519.publicBytes(gammaMask.getPublic()));
    byte[] fromGamma = PairwiseSeeds.maskSeed(config, "gamma", gammaMask.getPrivate(), "alpha", X25519.publicBytes(alphaMask.getPublic()));
    assertArrayEquals(fromAlpha, fromGamma);
    assertEquals(32, fromAlpha.length);
    assertEquals(1, PairwiseSeeds.maskSign("alpha", "gamma"));
    assertEquals(-1, PairwiseSeeds.maskSign("gamma", "alpha"));
    assertThrows(IllegalArgumentException.class, () -> PairwiseSeeds.maskSign("alpha", "alpha"));

    // the same key pairs in another round give another seed
    RoundConfig next = new RoundConfig(4, config.participants(), 2, 10, 1f);
    assertFalse(Arrays.equals(fromAlpha, PairwiseSeeds.maskSeed(next, "alpha", alphaMask.getPrivate(), "gamma", X25519.publicBytes(gammaMask.getPublic()))));

    SecretKey k1 = PairwiseSeeds.shareKey(config, "alpha", alphaMask.getPrivate(), "gamma", X25519.publicBytes(gammaMask.getPublic()));
    SecretKey k2 = PairwiseSeeds.shareKey(config, "gamma", gammaMask.getPrivate(), "alpha", X25519.publicBytes(alphaMask.getPublic()));
    assertArrayEquals(k1.getEncoded(), k2.getEncoded());
    assertFalse(Arrays.equals(k1.getEncoded(), fromAlpha), "share keys and mask seeds are domain-separated");
  }

  @Test
  void sealedSharesOpenOnlyUnchangedForTheirPair() throws SecAggException {
    KeyPair alpha = X25519.generate(random);
    KeyPair beta = X25519.generate(random);
    SecretKey key = PairwiseSeeds.shareKey(config, "alpha", alpha.getPrivate(), "beta", X25519.publicBytes(beta.getPublic()));
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    List<SecretShare> shares = ShamirSharing.share(secret, 2, 3, random);
    ShareCipher.SharePair pair = new ShareCipher.SharePair(shares.get(1), shares.get(1));
    EncryptedShare sealed = ShareCipher.seal(config, "alpha", "beta", key, pair, random);
    assertEquals(pair, ShareCipher.open(config, sealed, key));

    byte[] flipped = sealed.ciphertext();
    flipped[17] ^= 4;
    EncryptedShare tampered = new EncryptedShare(sealed.round(), "alpha", "beta", sealed.nonce(), flipped);
    assertEquals(SecAggException.Reason.DECRYPTION_FAILED, assertThrows(SecAggException.class, () -> ShareCipher.open(config, tampered, key)).reason());
    EncryptedShare rerouted = new EncryptedShare(sealed.round(), "alpha", "gamma", sealed.nonce(), sealed.ciphertext());
    assertEquals(SecAggException.Reason.DECRYPTION_FAILED, assertThrows(SecAggException.class, () -> ShareCipher.open(config, rerouted, key)).reason());
    RoundConfig next = new RoundConfig(4, config.participants(), 2, 10, 1f);
    assertEquals(SecAggException.Reason.DECRYPTION_FAILED, assertThrows(SecAggException.class, () -> ShareCipher.open(next, sealed, key)).reason());
  }
}
