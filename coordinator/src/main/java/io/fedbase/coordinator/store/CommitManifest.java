package io.fedbase.coordinator.store;

import io.fedbase.coordinator.privacy.PrivacyReport;
import java.util.List;

/**
 * The audit record of one committed prior version ({@code manifest-vNNNNNNNN.json}): the version it
 * was computed from and that file's SHA-256, every accepted upload (node, payload SHA-256, task
 * weight, norms and any clipping), the aggregation rule, the meta-optimiser and its schedule
 * position, and the SHA-256 of the resulting file; for a private federation, what the version cost
 * in privacy (null otherwise). A version an operator made by rolling back names the version whose
 * parameters it restores and why, and merges no uploads. With the uploads' payloads, anyone can
 * replay the meta-update and compare hashes (not in central DP mode: the coordinator's noise is
 * deliberately not recorded).
 */
public record CommitManifest(
    long version,
    long round,
    long baseVersion,
    String baseSha256,
    String resultSha256,
    String aggregation,
    String metaOptimizer,
    int scheduleIndex,
    int scheduleRounds,
    List<Upload> uploads,
    PrivacyReport privacy,
    String committedAt,
    Long rolledBackTo,
    String rollbackReason) {

  /** The aggregation a rollback's manifest names. */
  public static final String ROLLBACK = "rollback";

  /** One accepted upload as merged: its weight is {@code tasks}, each part scaled as recorded. */
  public record Upload(String node, String sha256, int tasks, double weightNorm, double logitNorm, float weightScale, float logitScale) {}

  /** What the round knows before the files are written; the store adds the hashes and the time. */
  public record Draft(
      long round,
      long baseVersion,
      String aggregation,
      String metaOptimizer,
      int scheduleIndex,
      int scheduleRounds,
      List<Upload> uploads,
      PrivacyReport privacy) {
    public Draft {
      uploads = List.copyOf(uploads);
    }
  }

  public CommitManifest {
    uploads = List.copyOf(uploads);
  }
}
