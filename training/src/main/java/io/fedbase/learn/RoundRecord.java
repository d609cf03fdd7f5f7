package io.fedbase.learn;

/**
 * What one meta-round did, for the run log.
 *
 * @param round 1-based round number
 * @param tau temperature used
 * @param epsWeights meta step size on weights
 * @param epsLogits meta step size on logits
 * @param supportLossBefore mean support loss at the first inner step (before adapting)
 * @param supportLossAfter mean support loss at the last inner step
 * @param queryAccuracy mean query accuracy after adaptation
 * @param deltaNormWeights L2 norm of the weight part of the mean delta
 * @param deltaNormLogits L2 norm of the logit part of the mean delta
 * @param tasks tasks adapted
 * @param seconds wall time of the round
 */
public record RoundRecord(
    int round,
    double tau,
    double epsWeights,
    double epsLogits,
    double supportLossBefore,
    double supportLossAfter,
    double queryAccuracy,
    double deltaNormWeights,
    double deltaNormLogits,
    int tasks,
    double seconds) {}
