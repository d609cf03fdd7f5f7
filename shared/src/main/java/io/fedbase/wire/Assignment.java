package io.fedbase.wire;

import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.task.TaskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One node's work in one round: adapt the prior of {@code priorVersion} to tasks {@code firstTask}
 * .. {@code firstTask + tasks - 1} of its own data and upload the mean delta before {@code deadline};
 * in a secure round ({@code secure} present) clipped, masked and after the key exchange; in a
 * private federation ({@code privacy} present) clipped and, in distributed mode, noised first.
 */
public record Assignment(
    long round,
    long priorVersion,
    Instant deadline,
    int tasks,
    TaskSpec taskShape,
    InnerLoopConfig inner,
    float tau,
    long seed,
    List<String> participants,
    long firstTask,
    Optional<SecureTerms> secure,
    Optional<PrivacyTerms> privacy) {

  public Assignment {
    participants = List.copyOf(participants);
  }

  /** The same assignment with {@code terms} of a private federation. */
  public Assignment withPrivacy(Optional<PrivacyTerms> terms) {
    return new Assignment(round, priorVersion, deadline, tasks, taskShape, inner, tau, seed, participants, firstTask, secure, terms);
  }
}
