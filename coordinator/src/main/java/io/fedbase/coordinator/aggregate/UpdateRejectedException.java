package io.fedbase.coordinator.aggregate;

/** An upload the coordinator refuses; it never touches the aggregate. */
public final class UpdateRejectedException extends Exception {

  /** Why an upload was refused; the transport maps each to a gRPC status code. */
  public enum Reason {
    /** Messages out of order, a missing header or trailer, a chunk not made of whole floats. */
    MALFORMED("malformed"),
    /** The node never joined. */
    UNKNOWN_NODE("unknown_node"),
    /** An operator removed the node. */
    REMOVED("removed"),
    /** The node was not assigned work in this round. */
    NOT_SELECTED("not_selected"),
    /** The upload names a round that is not the one collecting. */
    WRONG_ROUND("wrong_round"),
    /** The delta was taken against another prior version. */
    STALE_VERSION("stale_version"),
    /** The round's deadline passed before the upload completed. */
    LATE("late"),
    /** Another upload from the same node for the same round is still in progress. */
    IN_PROGRESS("in_progress"),
    /** Spec hash, encoding, payload length or task count do not fit the model or assignment. */
    WRONG_SHAPE("wrong_shape"),
    /** More bytes than the model's delta has. */
    OVERSIZED("oversized"),
    /** A NaN or infinite value. */
    NON_FINITE("non_finite"),
    /** The L2 norm of the weight or the logit part exceeds the federation's bound. */
    NORM_TOO_LARGE("norm_too_large"),
    /** The payload does not match its SHA-256. */
    CHECKSUM_MISMATCH("checksum_mismatch"),
    /** The coordinator could not stage the upload (disk); the node may retry. */
    UNAVAILABLE("unavailable"),
    /** The upload went silent for longer than the idle timeout and was cut off. */
    STALLED("stalled");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    /** Short label for logs and metrics. */
    public String label() {
      return label;
    }
  }

  private final Reason reason;

  public UpdateRejectedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
