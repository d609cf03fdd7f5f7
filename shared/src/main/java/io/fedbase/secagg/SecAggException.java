package io.fedbase.secagg;

/**
 * A secure-aggregation message or step that is refused. Checked, like the upload rejections, so
 * that the transport decides for every call what each reason becomes on the wire.
 */
public final class SecAggException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why; the transport maps each to a status code, logs and metrics use {@link #label()}. */
  public enum Reason {
    /** Wrong lengths, missing or unexpected fields, a share for the wrong recipient. */
    MALFORMED("malformed"),
    /** The message names another round: a replay, or a node that is behind. */
    WRONG_ROUND("wrong_round"),
    /** The sender is not in the round's participant list. */
    NOT_A_PARTICIPANT("not_a_participant"),
    /** No certificate is known for the node. */
    UNKNOWN_NODE("unknown_node"),
    /** The node id does not match the certificate's identity or the authenticated sender. */
    WRONG_NODE("wrong_node"),
    /** The sender signed another participant list, threshold, vector length or clip. */
    CONFIG_MISMATCH("config_mismatch"),
    /** The signature does not verify under the sender's certificate key. */
    BAD_SIGNATURE("bad_signature"),
    /** A second message of a kind a node sends once, or a public key another node also uses. */
    DUPLICATE("duplicate"),
    /** The coordinator returned an advertisement for this node that this node did not make. */
    OWN_ADVERTISEMENT_ALTERED("own_advertisement_altered"),
    /** An encrypted share failed authentication: tampered, or routed to the wrong node. */
    DECRYPTION_FAILED("decryption_failed"),
    /** Fewer than the threshold of nodes (or shares) remain: the round cannot finish. */
    BELOW_THRESHOLD("below_threshold"),
    /** Shares do not reconstruct a secret that matches its commitment or public key. */
    RECONSTRUCTION_FAILED("reconstruction_failed"),
    /** An unmask request asks for both secrets of one node, which would expose its input. */
    BOTH_SHARES_REQUESTED("both_shares_requested"),
    /** A step called out of order. */
    WRONG_STATE("wrong_state"),
    /** A masked input was started but not completed, so the running sum cannot be trusted. */
    INCOMPLETE_INPUT("incomplete_input"),
    /** The round already failed; nothing more is accepted. */
    ROUND_FAILED("round_failed");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Reason reason;

  public SecAggException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public SecAggException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
