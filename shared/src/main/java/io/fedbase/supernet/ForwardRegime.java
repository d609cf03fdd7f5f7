package io.fedbase.supernet;

/**
 * How a derived network's forward pass normalises and regularises.
 *
 * @param statistics running BN statistics to update (training) or use (inference); null to
 *     normalise with each batch's own statistics and keep none, as the supernet does
 * @param training true: batch statistics, statistics updated, drop-path applied
 * @param dropPathProbability chance of dropping each non-identity operation's output per sample
 * @param dropPathSeed seed of this forward's drop-path masks
 */
public record ForwardRegime(RunningStatistics statistics, boolean training, float dropPathProbability, long dropPathSeed) {

  /** Batch statistics, nothing kept, no drop-path. */
  public static final ForwardRegime BATCH_STATISTICS = new ForwardRegime(null, true, 0f, 0L);

  public ForwardRegime {
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

  /** A training step: batch statistics, {@code statistics} updated, paths dropped. */
  public static ForwardRegime training(RunningStatistics statistics, float dropPathProbability, long dropPathSeed) {
    return new ForwardRegime(statistics, true, dropPathProbability, dropPathSeed);
  }

  /** Inference with the running statistics. */
  public static ForwardRegime inference(RunningStatistics statistics) {
    return new ForwardRegime(statistics, false, 0f, 0L);
  }
}
