package io.fedbase.secagg;

import java.security.PrivateKey;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * What two participants share without talking: X25519 agreement of one's private key with the
 * other's advertised public key, through HKDF-SHA256 bound to the round, its configuration and
 * the unordered pair. Both ends (and the coordinator, once it holds a dropped node's mask private
 * key) derive the same value.
 */
public final class PairwiseSeeds {

  private PairwiseSeeds() {}

  /** The seed of the pairwise mask between {@code self} and {@code other} (from the mask keys). */
  public static byte[] maskSeed(RoundConfig config, String self, PrivateKey maskPrivate, String other, byte[] otherMaskKey) throws SecAggException {
    return derive("fedbase/secagg/v1/pairwise-mask", config, self, X25519.agree(maskPrivate, otherMaskKey), other, MaskGenerator.SEED_BYTES);
  }

  /** The AES-256-GCM key for shares between {@code self} and {@code other} (from the encryption keys). */
  public static SecretKey shareKey(RoundConfig config, String self, PrivateKey encryptionPrivate, String other, byte[] otherEncryptionKey)
      throws SecAggException {
    byte[] key = derive("fedbase/secagg/v1/share-key", config, self, X25519.agree(encryptionPrivate, otherEncryptionKey), other, 32);
    return new SecretKeySpec(key, "AES");
  }

  /**
   * How {@code self} applies the mask it shares with {@code other}: +1 (add) when {@code other}
   * sorts after {@code self}, -1 (subtract) when before, so each pair's two masks cancel in a sum.
   */
  public static int maskSign(String self, String other) {
    int c = other.compareTo(self);
    if (c == 0) {
      throw new IllegalArgumentException("a node has no pairwise mask with itself");
    }
    return c > 0 ? 1 : -1;
  }

  private static byte[] derive(String label, RoundConfig config, String self, byte[] shared, String other, int length) {
    if (self.equals(other)) {
      throw new IllegalArgumentException("a node has no pairwise key with itself");
    }
    // the pair in canonical order, so both ends feed HKDF the same info
    String low = self.compareTo(other) < 0 ? self : other;
    String high = low.equals(self) ? other : self;
    byte[] info = new Encoder(label).u64(config.round()).bytes(config.hash()).string(low).string(high).toByteArray();
    return Hkdf.derive(shared, info, length);
  }
}
