package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.CellType;
import io.fedbase.space.InputSignature;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import io.fedbase.supernet.Supernet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AdaptationSessionTest {

  private static final InputSignature GREY = new InputSignature(1, 28, 28);
  private final SupernetSpec spec = SupernetSpec.profile("small");
  private final Supernet supernet = new Supernet(spec);

  /** Four classes told apart by which quadrant is bright: learnable in a few steps. */
  private static float[] quadrantImages(int[] labels, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] out = new float[labels.length * 784];
    for (int i = 0; i < labels.length; i++) {
      int qr = labels[i] / 2;
      int qc = labels[i] % 2;
      for (int r = 0; r < 28; r++) {
        for (int c = 0; c < 28; c++) {
          boolean on = r / 14 == qr && c / 14 == qc;
          out[i * 784 + r * 28 + c] = (on ? 1.5f : -0.5f) + (float) (0.3 * rng.nextGaussian());
        }
      }
    }
    return out;
  }

  private static int[] labels(int perClass) {
    int[] y = new int[4 * perClass];
    for (int i = 0; i < y.length; i++) {
      y[i] = i % 4;
    }
    return y;
  }

  @Test
  void stepsLowerTheLossAndMoveWeightsAndLogits() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(5);
    float[] x = quadrantImages(y, 1);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, InnerLoopConfig.defaults().withSteps(15), root);
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 9)) {
        double first = s.step(x, y, GREY, 4).loss();
        double last = first;
        for (int k = 1; k < 15; k++) {
          last = s.step(x, y, GREY, 4).loss();
        }
        assertTrue(last < 0.7 * first, "loss " + first + " -> " + last);
        Bundle phi = s.parameters();
        Bundle delta = phi.minus(prior);
        assertTrue(delta.norm(false) > 0, "weights moved");
        assertTrue(delta.norm(true) > 0, "logits moved");
        // the other input signature's stem takes no part, so it must not move
        assertEquals(
            0.0,
            java.util.Arrays.stream(toDouble(delta.tensor(TensorNames.stemConv(new InputSignature(3, 32, 32), 0))))
                .map(Math::abs)
                .sum());
      }
    }
  }

  @Test
  void logitsLearnFromTheLossNotOnlyFromWeightDecay() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(5);
    float[] x = quadrantImages(y, 6);
    InnerLoopConfig noDecay = InnerLoopConfig.builder().optSteps(3).optLearningRates(5e-3f, 5e-2f).optLogitWeightDecay(0f).build();
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, noDecay, root);
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 9)) {
        for (int k = 0; k < 3; k++) {
          s.step(x, y, GREY, 4);
        }
        Bundle delta = s.parameters().minus(prior);
        // Adam moves every logit with a gradient by about lr per step; without one, nothing moves
        assertTrue(delta.norm(true) > 0.05, "logit delta " + delta.norm(true));
      }
    }
  }

  @Test
  void betaDecayHoldsBackTheOperationThatLeadsEachEdge() {
    Bundle start = ParameterInitializer.initialize(spec, 5);
    int ops = spec.operations().size();
    // every edge led by one operation, as after a collapse
    for (CellType type : CellType.values()) {
      float[] alpha = start.tensor(TensorNames.alpha(type)).clone();
      for (int i = 2; i < alpha.length; i += ops) {
        alpha[i] += 3f;
      }
      start = start.withTensor(TensorNames.alpha(type), alpha);
    }
    int[] y = labels(5);
    float[] x = quadrantImages(y, 6);
    double[] lead = new double[2];
    for (int run = 0; run < 2; run++) {
      InnerLoopConfig config =
          InnerLoopConfig.builder().optSteps(3).optLearningRates(5e-3f, 5e-2f).optLogitWeightDecay(0f).optLogitBetaDecay(run == 0 ? 0f : 0.5f).build();
      try (NDManager root = NDManager.newBaseManager();
          AdaptationSession s = new InnerLoop(supernet, config, root).open(start, GREY, 1f, 9)) {
        for (int k = 0; k < 3; k++) {
          s.step(x, y, GREY, 4);
        }
        Bundle after = s.parameters();
        // how far each edge's leader moved ahead of the edge's other operations, summed
        for (CellType type : CellType.values()) {
          float[] a = after.tensor(TensorNames.alpha(type));
          float[] b = start.tensor(TensorNames.alpha(type));
          for (int e = 0; e < a.length / ops; e++) {
            double others = 0;
            for (int o = 0; o < ops; o++) {
              if (o != 2) {
                others += (a[e * ops + o] - b[e * ops + o]) / (ops - 1);
              }
            }
            lead[run] += (a[e * ops + 2] - b[e * ops + 2]) - others;
          }
        }
      }
    }
    // decoupled from Adam, each step takes lr * 0.5 * (0.83 - 0.04) off a lead: about 1.07 over 3 steps and 18 edges
    assertTrue(lead[1] < lead[0] - 0.5, "leaders' gain without " + lead[0] + ", with beta-decay " + lead[1]);
  }

  @Test
  void frozenLogitsStayPutDuringWarmUp() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(3);
    float[] x = quadrantImages(y, 2);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, InnerLoopConfig.defaults().withAdaptLogits(false), root);
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 9)) {
        s.step(x, y, GREY, 4);
        s.step(x, y, GREY, 4);
        Bundle delta = s.parameters().minus(prior);
        assertEquals(0.0, delta.norm(true));
        assertTrue(delta.norm(false) > 0);
      }
    }
  }

  @Test
  void sameSeedSameResultDifferentSeedDifferentGumbelSamples() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(3);
    float[] x = quadrantImages(y, 3);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, InnerLoopConfig.defaults().withSteps(2), root);
      Bundle a = run(loop, prior, x, y, 11);
      Bundle b = run(loop, prior, x, y, 11);
      Bundle c = run(loop, prior, x, y, 12);
      assertTrue(a.minus(b).norm(false) < 1e-5, "same seed must reproduce");
      assertNotEquals(a, c);
    }
  }

  private static Bundle run(InnerLoop loop, Bundle prior, float[] x, int[] y, long seed) {
    try (AdaptationSession s = loop.open(prior, GREY, 1f, seed)) {
      s.step(x, y, GREY, 4);
      s.step(x, y, GREY, 4);
      return s.parameters();
    }
  }

  @Test
  void nativeMemoryDoesNotGrowAcrossStepsAndSessions() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(2);
    float[] x = quadrantImages(y, 4);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, InnerLoopConfig.defaults(), root);
      int sessionBaseline;
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 1)) {
        s.step(x, y, GREY, 4);
        s.evaluate(x, y, GREY, 4);
        sessionBaseline = liveArrays(root);
        for (int k = 0; k < 30; k++) {
          s.step(x, y, GREY, 4);
          s.evaluate(x, y, GREY, 4);
        }
        assertEquals(sessionBaseline, liveArrays(root), "arrays alive under the session after 30 more steps");
      }
      assertEquals(0, liveArrays(root), "closing the session frees everything it allocated");
    }
  }

  private static int liveArrays(NDManager manager) {
    return ((BaseNDManager) manager).getManagedArrays().size();
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }

  @Test
  void evaluationUsesLogitsThroughSoftmax() {
    Bundle prior = ParameterInitializer.initialize(spec, 5);
    int[] y = labels(2);
    float[] x = quadrantImages(y, 4);
    // putting all mass on 'none' everywhere makes every cell output zero: chance-level logits
    float[] huge = new float[spec.edges() * spec.operations().size()];
    for (int e = 0; e < spec.edges(); e++) {
      huge[e * spec.operations().size()] = 50f;
    }
    Bundle allNone =
        prior.withTensor(TensorNames.alpha(CellType.NORMAL), huge).withTensor(TensorNames.alpha(CellType.REDUCE), huge);
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(supernet, InnerLoopConfig.defaults(), root);
      try (AdaptationSession s = loop.open(allNone, GREY, 1f, 1)) {
        assertEquals(Math.log(4), s.evaluate(x, y, GREY, 4).loss(), 1e-3);
      }
    }
  }
}
