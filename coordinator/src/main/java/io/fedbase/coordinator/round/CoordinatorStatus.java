package io.fedbase.coordinator.round;

import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.coordinator.store.OperatorControls;
import java.util.List;
import java.util.Optional;

/**
 * A snapshot for GetStatus and the logs; {@code genotype} is the current prior's, in DARTS notation,
 * {@code privacy} what it cost in a private federation.
 */
public record CoordinatorStatus(
    long round,
    RoundPhase phase,
    long priorVersion,
    String specHash,
    List<String> connectedNodes,
    List<RoundOutcome> recentRounds,
    long targetRounds,
    String genotype,
    OperatorControls controls,
    Optional<PrivacyReport> privacy) {}
