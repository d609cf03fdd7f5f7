package io.fedbase.supernet;

/**
 * How a derived network's forward pass normalises and regularises.
 *
 * @param statistics running BN statistics to update (training) or use (inference); null to
 *     normalise with each batch's own statistics and keep none, as the supernet does
 * @param training true: batch statistics, statistics updated, drop-path applied
 * @param dropPathProbability chance of dropping each non-identity operation's output per sample
 * @param dropPathSeed seed of this forward's drop-path masks
 * @param statisticsUpdate weight of this batch's statistics in the running ones (PyTorch's BN
 *     momentum)
 */
public record ForwardRegime(
    RunningStatistics statistics, boolean training, float dropPathProbability, long dropPathSeed, float statisticsUpdate) {

  /** PyTorch's default BN momentum: each batch moves the running statistics by 10%. */
  public static final float DEFAULT_STATISTICS_UPDATE = 0.1f;

  /** Batch statistics, nothing kept, no drop-path. */
  public static final ForwardRegime BATCH_STATISTICS = new ForwardRegime(null, true, 0f, 0L, DEFAULT_STATISTICS_UPDATE);

  public ForwardRegime {
    if (!(statisticsUpdate > 0 && statisticsUpdate <= 1)) {
      throw new IllegalArgumentException("the statistics update must lie in (0, 1], got " + statisticsUpdate);
    }
    if (!(dropPathProbability >= 0 && dropPathProbability < 1)) {
      throw new IllegalArgumentException("drop-path probability must lie in [0, 1), got " + dropPathProbability);
    }
    if (!training && dropPathProbability > 0) {
      throw new IllegalArgumentException("drop-path applies only while training");
    }
    if (!training && statistics == null) {
      throw new IllegalArgumentException("inference needs running statistics");
    }
  }

  /** A training step: batch statistics, {@code statistics} moved by 10% towards them, paths dropped. */
  public static ForwardRegime training(RunningStatistics statistics, float dropPathProbability, long dropPathSeed) {
    return new ForwardRegime(statistics, true, dropPathProbability, dropPathSeed, DEFAULT_STATISTICS_UPDATE);
  }

  /**
   * Training step {@code step} (0-based): the running statistics average the batches seen so far
   * (weight 1/(step+1)) until that falls below 10%, then follow PyTorch's momentum. A short run
   * thus never normalises with the initial (0, 1) statistics, which a plain 10% update only
   * forgets after some 40 steps.
   */
  public static ForwardRegime trainingStep(RunningStatistics statistics, float dropPathProbability, long dropPathSeed, int step) {
    float update = Math.max(DEFAULT_STATISTICS_UPDATE, 1f / (step + 1));
    return new ForwardRegime(statistics, true, dropPathProbability, dropPathSeed, update);
  }

  /** Inference with the running statistics. */
  public static ForwardRegime inference(RunningStatistics statistics) {
    return new ForwardRegime(statistics, false, 0f, 0L, DEFAULT_STATISTICS_UPDATE);
  }
}
