package io.fedbase.coordinator.round;

/**
 * How a round ended.
 *
 * @param round round number
 * @param committed whether the prior moved
 * @param reason why it failed; empty when committed
 * @param acceptedUpdates uploads folded into the aggregate
 * @param tasks tasks behind them
 * @param priorVersion prior version after the round
 * @param seconds from opening to closing
 * @param supportLossAfter task-weighted mean of the nodes' reported adapted support loss
 * @param queryAccuracy task-weighted mean of the nodes' reported query accuracy
 * @param weightUpdateNorm L2 norm of the applied change of the weights
 * @param logitUpdateNorm L2 norm of the applied change of the logits
 */
public record RoundOutcome(
    long round,
    boolean committed,
    String reason,
    int acceptedUpdates,
    long tasks,
    long priorVersion,
    double seconds,
    double supportLossAfter,
    double queryAccuracy,
    double weightUpdateNorm,
    double logitUpdateNorm) {}
