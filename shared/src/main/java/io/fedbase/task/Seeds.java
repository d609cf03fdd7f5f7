package io.fedbase.task;

/** Derives independent random streams from a run seed and an index (SplitMix64's finaliser). */
public final class Seeds {

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /** A well-mixed seed for item {@code index} of a run seeded with {@code seed}. */
  public static long mix(long seed, long index) {
    return finish(seed ^ (index * GOLDEN));
  }

  /**
   * A second family, unrelated to {@link #mix}, for streams that must differ from the task draw
   * of the same (seed, index), e.g. the Gumbel noise of adapting to that task.
   */
  public static long mixAlternate(long seed, long index) {
    return finish(seed * GOLDEN + index + 0x632BE59BD9B4E019L);
  }

  private static long finish(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
