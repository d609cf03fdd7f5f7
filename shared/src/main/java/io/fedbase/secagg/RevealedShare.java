package io.fedbase.secagg;

import java.util.Objects;

/**
 * One share a surviving node hands the coordinator in the unmasking round.
 *
 * @param owner the node whose secret this is a share of
 * @param kind which of the owner's two secrets
 * @param share the responder's share (its x-coordinate is the responder's)
 */
public record RevealedShare(String owner, Kind kind, SecretShare share) {

  /** The two secrets each node shares; a holder reveals at most one of them per owner. */
  public enum Kind {
    /** b_u: seeds the owner's self-mask; revealed for survivors so their self-mask can be removed. */
    SELF_MASK_SEED,
    /** s_u^SK: the owner's mask private key; revealed for dropped nodes so their pairwise masks can be removed. */
    MASK_KEY
  }

  public RevealedShare {
    Objects.requireNonNull(owner, "owner");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(share, "share");
  }
}
