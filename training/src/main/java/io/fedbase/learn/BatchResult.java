package io.fedbase.learn;

import io.fedbase.bundle.Bundle;

/**
 * A batch of tasks adapted from one prior: the mean delta and the task-averaged losses.
 *
 * @param meanDelta mean over tasks of (phi_task - W)
 * @param tasks number of tasks
 * @param supportLossBefore mean support loss at the first inner step
 * @param supportLossAfter mean support loss at the last inner step
 * @param queryAccuracy mean query accuracy after adaptation
 */
public record BatchResult(Bundle meanDelta, int tasks, double supportLossBefore, double supportLossAfter, double queryAccuracy) {}
