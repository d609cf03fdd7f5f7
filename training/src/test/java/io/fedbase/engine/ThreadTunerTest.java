package io.fedbase.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

class ThreadTunerTest {

  private static final long MS = 1_000_000L;

  /** Feeds {@code steps} steps whose time depends on the thread count; returns the last count used. */
  private static int run(ThreadTuner tuner, int steps, IntToLongFunction stepTime) {
    int last = 0;
    for (int i = 0; i < steps; i++) {
      last = tuner.threads();
      tuner.stepTook(stepTime.applyAsLong(last));
    }
    return last;
  }

  @Test
  void keepsMoreThreadsWhenTheyAreClearlyFaster() {
    ThreadTuner tuner = ThreadTuner.upTo(2);
    // alone on two cores: 2 threads 95 ms, 1 thread 130 ms
    assertEquals(2, run(tuner, 200, t -> t == 2 ? 95 * MS : 130 * MS));
  }

  @Test
  void fallsBackToOneThreadWhenANeighbourMakesTwoSlow() {
    ThreadTuner tuner = ThreadTuner.upTo(2);
    run(tuner, 100, t -> t == 2 ? 95 * MS : 130 * MS);
    assertEquals(2, tuner.threads());
    // a second training process starts: two threads wait at every barrier
    int used = run(tuner, 40, t -> t == 2 ? 500 * MS : 135 * MS);
    assertEquals(1, used);
    // it noticed at once (the slowdown trigger), not after its long keep phase
    long slowStepsAtTwo = 0;
    ThreadTuner again = ThreadTuner.upTo(2);
    run(again, 100, t -> t == 2 ? 95 * MS : 130 * MS);
    for (int i = 0; i < 40; i++) {
      int t = again.threads();
      slowStepsAtTwo += t == 2 ? 1 : 0;
      again.stepTook(t == 2 ? 500 * MS : 135 * MS);
    }
    // four slow steps tip the median of the last eight, which starts a probe; two threads are dropped after two
    assertEquals(4 + 2, slowStepsAtTwo, "slow steps at two threads");
  }

  @Test
  void prefersFewerThreadsWithinTheMargin() {
    ThreadTuner tuner = ThreadTuner.upTo(2);
    // 3% faster is not worth taking a neighbour's core
    assertEquals(1, run(tuner, 50, t -> t == 2 ? 97 * MS : 100 * MS));
  }

  @Test
  void probesAgainAndBacksOffWhileTheChoiceHolds() {
    ThreadTuner tuner = ThreadTuner.builder().optWarmupSteps(0).optProbeSteps(3).optKeepSteps(10, 40).build(2);
    run(tuner, 1000, t -> t == 2 ? 50 * MS : 100 * MS);
    // probing costs 6 steps; keeps of 10, 20, 40, 40, ... fit about 22 probing rounds in 1000 steps
    assertTrue(tuner.probesRun() >= 15 && tuner.probesRun() <= 30, "probes: " + tuner.probesRun());
  }

  @Test
  void candidatesHalveDownToOne() {
    ThreadTuner tuner = ThreadTuner.builder().optWarmupSteps(3).optProbeSteps(5).build(8);
    assertEquals(8, tuner.maxThreads());
    // one thread while warming up, then the probe visits 1, 2, 4, 8 in turn, five steps each
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      seen.append(tuner.threads()).append(' ');
      tuner.stepTook(10 * MS);
    }
    for (int i = 0; i < 20; i++) {
      if (i % 5 == 0) {
        seen.append(tuner.threads()).append(' ');
      }
      tuner.stepTook(10 * MS);
    }
    assertEquals("1 1 1 1 2 4 8 ", seen.toString());
  }

  @Test
  void aBudgetOfOneOrAFixedCountDoesNotTune() {
    assertFalse(ThreadTuner.upTo(1).tunes());
    ThreadTuner fixed = ThreadTuner.fixed(3);
    assertEquals(3, run(fixed, 30, t -> t * MS));
    assertFalse(fixed.tunes());
    assertThrows(IllegalArgumentException.class, () -> ThreadTuner.fixed(0));
    assertThrows(IllegalArgumentException.class, () -> ThreadTuner.builder().optProbeSteps(1).build(2));
    assertThrows(IllegalArgumentException.class, () -> ThreadTuner.builder().optSlowdownToReprobe(1.0).build(2));
  }
}
