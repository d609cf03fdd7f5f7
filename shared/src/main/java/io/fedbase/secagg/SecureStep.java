package io.fedbase.secagg;

import java.util.List;

/** What the coordinator relays to one node as a secure round moves on. */
public sealed interface SecureStep {

  long round();

  /** Every advertisement of the round: the node checks them and answers with its shares. */
  record Keys(long round, List<SignedKeys> advertisements) implements SecureStep {
    public Keys {
      advertisements = List.copyOf(advertisements);
    }
  }

  /** The shares made for this node: it may now upload its masked delta. */
  record Shares(long round, List<EncryptedShare> shares) implements SecureStep {
    public Shares {
      shares = List.copyOf(shares);
    }
  }

  /** Who uploaded and who dropped: the node answers with the shares that unmask the sum. */
  record Unmask(long round, UnmaskRequest request) implements SecureStep {}
}
