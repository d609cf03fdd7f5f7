package io.fedbase.engine;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Chooses the engine's intra-op thread count by timing training steps. A supernet step is hundreds
 * of tiny ops; with more threads than the cores it really gets, every op's parallel region waits
 * at a barrier for a thread that is not running, and a step gets many times slower. Alone on two
 * cores, two threads are ~15% faster than one; beside another training process, one thread is ~4x
 * faster than two. No setting is right for both, and the process cannot see its neighbours, so this
 * measures: it tries each candidate for a few steps, keeps the fastest, and tries again after a
 * while (sooner when steps slow down), preferring fewer threads unless more are clearly faster.
 *
 * <p>Fed step times by {@link #stepTook}; tells the thread count for the next step by {@link
 * #threads}. Thread-safe. Deterministic for a given sequence of step times (tested that way).
 */
public final class ThreadTuner {

  /** Where the tuner is in its cycle. */
  private enum Phase {
    FIXED,
    PROBING,
    KEEPING
  }

  private final int[] candidates;
  private final int probeSteps;
  private final int firstKeep;
  private final int maxKeep;
  private final double slowdownToReprobe;
  private final double preferFewerMargin;
  private final double abandonFactor;

  private Phase phase;
  private int choice;
  private int probing;
  private int probeCount;
  private final List<List<Long>> probes = new ArrayList<>();
  private int keepFor;
  private int keptSteps;
  private double chosenMedian;
  private final long[] recent = new long[8];
  private int recentCount;
  private long probesRun;

  private ThreadTuner(Builder b, int[] candidates, boolean fixed) {
    this.candidates = candidates;
    this.probeSteps = b.probeSteps;
    this.firstKeep = b.firstKeep;
    this.maxKeep = b.maxKeep;
    this.slowdownToReprobe = b.slowdownToReprobe;
    this.preferFewerMargin = b.preferFewerMargin;
    this.abandonFactor = b.abandonFactor;
    // warm up (JIT, allocators) with one thread: harmless alone, and far faster beside a neighbour
    this.choice = candidates[0];
    this.keepFor = b.firstKeep;
    if (fixed) {
      phase = Phase.FIXED;
    } else if (b.warmupSteps > 0) {
      phase = Phase.KEEPING;
      keepFor = b.warmupSteps;
      chosenMedian = Double.POSITIVE_INFINITY;
    } else {
      startProbing();
    }
  }

  /** Always {@code threads}. */
  public static ThreadTuner fixed(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    return new ThreadTuner(new Builder(), new int[] {threads}, true);
  }

  /** Tunes between 1 and {@code budget} threads with the default settings. */
  public static ThreadTuner upTo(int budget) {
    return builder().build(budget);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The thread count for the next step. */
  public synchronized int threads() {
    return phase == Phase.PROBING ? candidates[probing] : choice;
  }

  /** Whether this tuner changes the thread count at all. */
  public boolean tunes() {
    return phase != Phase.FIXED;
  }

  /** The largest thread count this tuner may choose. */
  public int maxThreads() {
    return Arrays.stream(candidates).max().orElse(1);
  }

  /** Probing rounds run so far (for logs and tests). */
  public synchronized long probesRun() {
    return probesRun;
  }

  /** Records the wall time of a step run with {@link #threads()} threads. */
  public synchronized void stepTook(long nanos) {
    switch (phase) {
      case FIXED -> {}
      case PROBING -> probe(nanos);
      case KEEPING -> keep(nanos);
    }
  }

  private void probe(long nanos) {
    probeCount++;
    // the first step after a switch pays for waking or parking the pool's threads: not representative
    if (probeCount > 1) {
      probes.get(probing).add(nanos);
    }
    // beside a neighbour, more threads can be many times slower: one such step settles it
    boolean hopeless = probeCount > 1 && probing > 0 && nanos > abandonFactor * bestMedianSoFar();
    if (probeCount < probeSteps && !hopeless) {
      return;
    }
    probing++;
    probeCount = 0;
    if (probing < candidates.length) {
      return;
    }
    int previous = choice;
    choose();
    keepFor = choice == previous ? Math.min(maxKeep, keepFor * 2) : firstKeep;
    keptSteps = 0;
    recentCount = 0;
    phase = Phase.KEEPING;
    probesRun++;
  }

  private double bestMedianSoFar() {
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < probing; i++) {
      best = Math.min(best, median(probes.get(i)));
    }
    return best;
  }

  /** The fastest candidate, where a larger count must beat every smaller one by the margin. */
  private void choose() {
    int best = -1;
    double bestMedian = Double.POSITIVE_INFINITY;
    // candidates ascend: a later (larger) one wins only if clearly faster
    for (int i = 0; i < candidates.length; i++) {
      double m = median(probes.get(i));
      if (best < 0 || m < bestMedian * (1 - preferFewerMargin)) {
        best = i;
        bestMedian = m;
      }
    }
    choice = candidates[best];
    chosenMedian = bestMedian;
  }

  private void keep(long nanos) {
    keptSteps++;
    recent[recentCount % recent.length] = nanos;
    recentCount++;
    if (recentCount >= recent.length) {
      List<Long> window = new ArrayList<>(recent.length);
      for (long r : recent) {
        window.add(r);
      }
      if (median(window) > chosenMedian * slowdownToReprobe) {
        // the machine changed (a neighbour started): look again now, and soon after
        keepFor = firstKeep / 2;
        startProbing();
        return;
      }
    }
    if (keptSteps >= keepFor) {
      startProbing();
    }
  }

  private void startProbing() {
    phase = Phase.PROBING;
    probing = 0;
    probeCount = 0;
    probes.clear();
    for (int i = 0; i < candidates.length; i++) {
      probes.add(new ArrayList<>());
    }
  }

  private static double median(List<Long> values) {
    if (values.isEmpty()) {
      return Double.POSITIVE_INFINITY;
    }
    long[] v = values.stream().mapToLong(Long::longValue).sorted().toArray();
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
  }

  /** One line for logs. */
  public synchronized String describe() {
    if (phase == Phase.FIXED) {
      return choice + (choice == 1 ? " intra-op thread" : " intra-op threads");
    }
    return String.format(
        Locale.ROOT, "intra-op threads tuned per step among %s (now %d)", Arrays.toString(candidates), threads());
  }

  /** Settings, with defaults; {@link #build(int)} validates. */
  public static final class Builder {
    private int probeSteps = 8;
    private int warmupSteps = 20;
    private int firstKeep = 40;
    private int maxKeep = 640;
    private double slowdownToReprobe = 1.6;
    private double preferFewerMargin = 0.05;
    private double abandonFactor = 2.0;

    /** Steps run with one thread before the first probe, while the JIT warms up (default 20). */
    public Builder optWarmupSteps(int steps) {
      this.warmupSteps = steps;
      return this;
    }

    /** Steps per candidate when probing, the first of which is not counted (default 8). */
    public Builder optProbeSteps(int steps) {
      this.probeSteps = steps;
      return this;
    }

    /** Steps kept after a choice that changed; doubles while the choice holds, up to {@code max}. */
    public Builder optKeepSteps(int first, int max) {
      this.firstKeep = first;
      this.maxKeep = max;
      return this;
    }

    /** Probe again at once when recent steps are this many times slower than at the choice (default 1.6). */
    public Builder optSlowdownToReprobe(double factor) {
      this.slowdownToReprobe = factor;
      return this;
    }

    /** A probed count is dropped after one counted step this many times slower than the best so far (default 2). */
    public Builder optAbandonFactor(double factor) {
      this.abandonFactor = factor;
      return this;
    }

    /** A larger thread count must be this fraction faster to be chosen (default 0.05). */
    public Builder optPreferFewerMargin(double margin) {
      this.preferFewerMargin = margin;
      return this;
    }

    /** Candidates: {@code budget}, halved down to 1; a budget of 1 gives a fixed tuner. */
    public ThreadTuner build(int budget) {
      if (budget < 1) {
        throw new IllegalArgumentException("the thread budget must be at least 1, got " + budget);
      }
      if (warmupSteps < 0) {
        throw new IllegalArgumentException("warm-up steps must not be negative, got " + warmupSteps);
      }
      if (probeSteps < 2) {
        throw new IllegalArgumentException("probe steps must be at least 2 (the first is not counted), got " + probeSteps);
      }
      if (firstKeep < 2 || maxKeep < firstKeep) {
        throw new IllegalArgumentException("keep steps must satisfy 2 <= first <= max, got " + firstKeep + ", " + maxKeep);
      }
      if (!(slowdownToReprobe > 1)) {
        throw new IllegalArgumentException("the re-probe slowdown must exceed 1, got " + slowdownToReprobe);
      }
      if (!(abandonFactor > 1)) {
        throw new IllegalArgumentException("the abandon factor must exceed 1, got " + abandonFactor);
      }
      if (!(preferFewerMargin >= 0 && preferFewerMargin < 1)) {
        throw new IllegalArgumentException("the margin must be in [0, 1), got " + preferFewerMargin);
      }
      if (budget == 1) {
        return new ThreadTuner(this, new int[] {1}, true);
      }
      List<Integer> counts = new ArrayList<>();
      for (int t = budget; t >= 1; t /= 2) {
        counts.add(0, t);
      }
      if (counts.get(0) != 1) {
        counts.add(0, 1);
      }
      return new ThreadTuner(this, counts.stream().mapToInt(Integer::intValue).distinct().toArray(), false);
    }
  }
}
