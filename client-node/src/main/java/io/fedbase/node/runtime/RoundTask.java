package io.fedbase.node.runtime;

import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.task.TaskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The node's view of its assignment in one round; {@code secure} is present when the round is
 * securely aggregated among {@code participants}, {@code privacy} when the delta must be clipped
 * (and, in distributed mode, noised) before it leaves the node.
 */
public record RoundTask(
    long round,
    long priorVersion,
    Instant deadline,
    int tasks,
    TaskSpec taskShape,
    InnerLoopConfig inner,
    float tau,
    long seed,
    long firstTask,
    List<String> participants,
    Optional<SecureTerms> secure,
    Optional<PrivacyTerms> privacy) {

  public RoundTask {
    participants = List.copyOf(participants);
  }
}
