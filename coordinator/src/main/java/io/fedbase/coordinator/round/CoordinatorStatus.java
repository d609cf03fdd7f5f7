package io.fedbase.coordinator.round;

import java.util.List;

/** A snapshot for GetStatus and the logs; {@code genotype} is the current prior's, in DARTS notation. */
public record CoordinatorStatus(
    long round,
    RoundPhase phase,
    long priorVersion,
    String specHash,
    List<String> connectedNodes,
    List<RoundOutcome> recentRounds,
    long targetRounds,
    String genotype,
    OperatorControls controls) {}
