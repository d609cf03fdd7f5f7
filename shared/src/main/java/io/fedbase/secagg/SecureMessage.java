package io.fedbase.secagg;

import java.util.List;

/** What a node sends in a secure round, besides its masked upload. */
public sealed interface SecureMessage {

  /** Step 0: its signed public keys and the certificate they verify under. */
  record Advertise(KeyAdvertisement advertisement, byte[] certificate) implements SecureMessage {
    public Advertise {
      certificate = certificate.clone();
    }
  }

  /** Step 1: its secrets' shares, each encrypted for one other participant. */
  record Share(List<EncryptedShare> shares) implements SecureMessage {
    public Share {
      shares = List.copyOf(shares);
    }
  }

  /** Step 3: the shares it reveals so the sum can be unmasked. */
  record Reveal(UnmaskResponse response) implements SecureMessage {}
}
