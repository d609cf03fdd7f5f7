package io.fedbase.secagg;

import java.util.Arrays;
import java.util.Objects;

/**
 * Round 1 message, one per (sender, receiver): the sender's Shamir shares of its self-mask seed
 * and of its mask private key for the receiver, under AES-256-GCM with the pair's share key. The
 * round, configuration, sender and receiver are the associated data, so a ciphertext altered,
 * replayed from another round or forwarded to another node fails to decrypt. The coordinator
 * only routes these; it cannot read them.
 *
 * @param round the round
 * @param sender the node whose secrets are shared
 * @param receiver the node that holds this share
 * @param nonce 12 random bytes
 * @param ciphertext GCM ciphertext with its 16-byte tag
 */
public record EncryptedShare(long round, String sender, String receiver, byte[] nonce, byte[] ciphertext) {

  public EncryptedShare {
    Objects.requireNonNull(sender, "sender");
    Objects.requireNonNull(receiver, "receiver");
    nonce = nonce.clone();
    ciphertext = ciphertext.clone();
  }

  @Override
  public byte[] nonce() {
    return nonce.clone();
  }

  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncryptedShare e
        && e.round == round
        && e.sender.equals(sender)
        && e.receiver.equals(receiver)
        && Arrays.equals(e.nonce, nonce)
        && Arrays.equals(e.ciphertext, ciphertext);
  }

  @Override
  public int hashCode() {
    return Objects.hash(round, sender, receiver, Arrays.hashCode(ciphertext));
  }

  @Override
  public String toString() {
    return "EncryptedShare[round=" + round + ", " + sender + " -> " + receiver + ", " + ciphertext.length + " bytes]";
  }
}
