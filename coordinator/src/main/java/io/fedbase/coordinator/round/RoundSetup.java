package io.fedbase.coordinator.round;

import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.wire.Assignment;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a strategy configures a round from: the federation's settings, the round's number, the
 * prior version its participants adapt (and its L2 norm, a yardstick for uploads), its deadline and the participants the strategy drew.
 */
public record RoundSetup(FederationSettings settings, long round, long priorVersion, double priorNorm, Instant deadline, List<String> participants) {

  public RoundSetup {
    participants = List.copyOf(participants);
  }

  /**
   * Every participant's instructions, the part all strategies share: its slice of the round's
   * tasks, the inner loop (logits frozen during warm-up), the temperature and seed, plus the terms
   * of a secure and a private round when the strategy has them.
   */
  public Map<String, Assignment> assignments(Optional<SecureTerms> secure, Optional<PrivacyTerms> privacy) {
    int perNode = settings.tasksPerNode();
    long roundTasks = (long) participants.size() * perNode;
    Map<String, Assignment> assignments = new LinkedHashMap<>();
    for (int i = 0; i < participants.size(); i++) {
      assignments.put(
          participants.get(i),
          new Assignment(
              round,
              priorVersion,
              deadline,
              perNode,
              settings.tasks(),
              settings.inner().withAdaptLogits(settings.inner().adaptLogits() && priorVersion >= settings.warmupRounds()),
              settings.tauAt(priorVersion),
              settings.seed(),
              participants,
              priorVersion * roundTasks + (long) i * perNode,
              secure,
              privacy));
    }
    return assignments;
  }
}
