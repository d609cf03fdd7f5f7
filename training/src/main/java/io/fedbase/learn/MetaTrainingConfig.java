package io.fedbase.learn;

import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.InvalidSettingException;
import io.fedbase.meta.Schedule;
import io.fedbase.task.TaskSpec;

/**
 * Settings of the outer loop (docs/ALGORITHM.md).
 *
 * @param rounds meta-rounds R
 * @param tasksPerRound tasks B adapted per round
 * @param tasks n-way k-shot shape of each task
 * @param inner inner-loop settings
 * @param tau Gumbel temperature schedule over the rounds (default 1.0 -> 0.3)
 * @param warmupRounds rounds at the start in which logits stay frozen (weights-only warm-up)
 * @param seed seed of task sampling and Gumbel noise
 */
public record MetaTrainingConfig(
    int rounds, int tasksPerRound, TaskSpec tasks, InnerLoopConfig inner, Schedule tau, int warmupRounds, long seed) {

  public MetaTrainingConfig {
    if (rounds < 1) {
      throw new InvalidSettingException("rounds", "must be at least 1, got " + rounds);
    }
    if (tasksPerRound < 1) {
      throw new IllegalArgumentException("tasks per round must be at least 1, got " + tasksPerRound);
    }
    if (warmupRounds < 0) {
      throw new IllegalArgumentException("warm-up rounds must not be negative, got " + warmupRounds);
    }
  }

  /** Temperature at {@code round}. */
  public float tauAt(int round) {
    return (float) tau.at(round, rounds);
  }

  /** Whether logits adapt in {@code round}. */
  public boolean logitsAdaptIn(int round) {
    return round >= warmupRounds;
  }
}
