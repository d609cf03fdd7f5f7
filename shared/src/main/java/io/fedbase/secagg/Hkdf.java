package io.fedbase.secagg;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF-SHA256 (RFC 5869): extract with an all-zero salt, then expand under {@code info}. */
final class Hkdf {

  private static final int HASH_BYTES = 32;

  private Hkdf() {}

  static byte[] derive(byte[] inputKey, byte[] info, int length) {
    if (length <= 0 || length > 255 * HASH_BYTES) {
      throw new IllegalArgumentException("HKDF-SHA256 yields 1.." + 255 * HASH_BYTES + " bytes, asked for " + length);
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(new byte[HASH_BYTES], "HmacSHA256"));
      byte[] prk = mac.doFinal(inputKey);
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      byte[] out = new byte[length];
      byte[] t = new byte[0];
      for (int i = 1, at = 0; at < length; i++) {
        mac.update(t);
        mac.update(info);
        mac.update((byte) i);
        t = mac.doFinal();
        int n = Math.min(HASH_BYTES, length - at);
        System.arraycopy(t, 0, out, at, n);
        at += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks HmacSHA256: " + e.getMessage(), e);
    }
  }
}
