package io.fedbase.secagg;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens the pair of shares one node holds for another: AES-256-GCM with a random
 * 96-bit nonce and the round, configuration hash, sender and receiver as associated data.
 */
final class ShareCipher {

  static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final int PLAINTEXT_BYTES = Integer.BYTES + 2 * (ShamirSharing.VALUE_BYTES + ShamirSharing.COMMITMENT_BYTES);

  /** The two shares a holder keeps for one owner: of the self-mask seed b and of the mask key s^SK. */
  record SharePair(SecretShare selfMaskSeed, SecretShare maskKey) {
    SharePair {
      if (selfMaskSeed.x() != maskKey.x()) {
        throw new IllegalArgumentException("both shares of a pair belong to one holder");
      }
    }
  }

  private ShareCipher() {}

  static EncryptedShare seal(RoundConfig config, String sender, String receiver, SecretKey key, SharePair shares, SecureRandom random) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    ByteBuffer plain = ByteBuffer.allocate(PLAINTEXT_BYTES);
    plain.putInt(shares.selfMaskSeed().x());
    plain.put(shares.selfMaskSeed().y()).put(shares.selfMaskSeed().commitment());
    plain.put(shares.maskKey().y()).put(shares.maskKey().commitment());
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(associatedData(config, sender, receiver));
      return new EncryptedShare(config.round(), sender, receiver, nonce, c.doFinal(plain.array()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM failed: " + e.getMessage(), e);
    }
  }

  /**
   * @throws SecAggException DECRYPTION_FAILED when the tag does not verify (tampered, misrouted,
   *     from another round); MALFORMED for a wrong nonce length or plaintext size
   */
  static SharePair open(RoundConfig config, EncryptedShare share, SecretKey key) throws SecAggException {
    if (share.nonce().length != NONCE_BYTES) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "a share nonce is " + NONCE_BYTES + " bytes");
    }
    byte[] plain;
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, share.nonce()));
      c.updateAAD(associatedData(config, share.sender(), share.receiver()));
      plain = c.doFinal(share.ciphertext());
    } catch (AEADBadTagException e) {
      throw new SecAggException(
          SecAggException.Reason.DECRYPTION_FAILED, "the share from '" + share.sender() + "' to '" + share.receiver() + "' fails authentication", e);
    } catch (GeneralSecurityException e) {
      throw new SecAggException(SecAggException.Reason.DECRYPTION_FAILED, "cannot decrypt the share from '" + share.sender() + "': " + e.getMessage(), e);
    }
    if (plain.length != PLAINTEXT_BYTES) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "a decrypted share pair has " + plain.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(plain);
    int x = b.getInt();
    if (x < 1) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "a share's x-coordinate is at least 1");
    }
    return new SharePair(new SecretShare(x, take(b, ShamirSharing.VALUE_BYTES), take(b, ShamirSharing.COMMITMENT_BYTES)),
        new SecretShare(x, take(b, ShamirSharing.VALUE_BYTES), take(b, ShamirSharing.COMMITMENT_BYTES)));
  }

  private static byte[] take(ByteBuffer b, int n) {
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }

  private static byte[] associatedData(RoundConfig config, String sender, String receiver) {
    return new Encoder("fedbase/secagg/v1/share").u64(config.round()).bytes(config.hash()).string(sender).string(receiver).toByteArray();
  }
}
