package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Tasks stacked along the channels compute what each task computes alone: logits and gradients. */
class TaskStackTest {

  private static final int TASKS = 3;
  private static final int BATCH = 6;

  /** Every DARTS operation, so pooling, both separable and dilated sizes and the strided skip all stack. */
  private final SupernetSpec spec =
      SupernetSpec.profileBuilder("small").setOperations(Arrays.asList(Operation.values())).build().withStemFor(new InputSignature(3, 10, 10));

  @Test
  void eachStackedTaskGetsItsOwnLogitsAndGradients() {
    for (InputSignature input : List.of(new InputSignature(1, 28, 28), new InputSignature(3, 10, 10))) {
      Supernet net = new Supernet(spec);
      List<Bundle> bundles = new ArrayList<>();
      List<float[]> images = new ArrayList<>();
      SplittableRandom rng = new SplittableRandom(5);
      for (int t = 0; t < TASKS; t++) {
        bundles.add(ParameterInitializer.initialize(spec, 10 + t));
        images.add(gaussian(rng, BATCH * input.size()));
      }
      // one task at a time: logits and the gradient of its loss on every tensor
      List<float[]> aloneLogits = new ArrayList<>();
      List<List<float[]>> aloneGrads = new ArrayList<>();
      try (NDManager m = NDManager.newBaseManager()) {
        for (int t = 0; t < TASKS; t++) {
          ParameterSet p = ParameterSet.load(bundles.get(t), m, spec -> true);
          NDArray x = m.create(images.get(t), new Shape(BATCH, input.channels(), input.height(), input.width()));
          try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
            NDArray logits = net.forward(p, x, gumbel(p, 1, t, m), m);
            c.backward(loss(logits, 1, t));
            aloneLogits.add(logits.toFloatArray());
          }
          aloneGrads.add(gradients(p));
        }
      }
      try (NDManager m = NDManager.newBaseManager()) {
        ParameterSet p = ParameterSet.loadStacked(bundles, m, spec -> true);
        float[] all = new float[TASKS * BATCH * input.size()];
        for (int t = 0; t < TASKS; t++) {
          System.arraycopy(images.get(t), 0, all, t * BATCH * input.size(), BATCH * input.size());
        }
        NDArray x = TaskStack.alongChannels(m.create(all, new Shape(TASKS * BATCH, input.channels(), input.height(), input.width())), TASKS);
        float[] logits;
        try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
          NDArray out = net.forwardStacked(p, x, gumbel(p, TASKS, 0, m), m);
          assertEquals(new Shape(TASKS, BATCH, spec.ways()), out.getShape());
          c.backward(loss(out, TASKS, 0));
          logits = out.toFloatArray();
        }
        List<float[]> grads = gradients(p);
        int perTask = BATCH * spec.ways();
        for (int t = 0; t < TASKS; t++) {
          assertClose(aloneLogits.get(t), Arrays.copyOfRange(logits, t * perTask, (t + 1) * perTask), 1e-5, input + " logits of task " + t);
          for (int i = 0; i < grads.size(); i++) {
            float[] stacked = grads.get(i);
            int size = stacked.length / TASKS;
            String name = p.trainable().get(i);
            assertClose(aloneGrads.get(t).get(i), Arrays.copyOfRange(stacked, t * size, (t + 1) * size), 1e-5, input + " gradient of " + name + " of task " + t);
          }
        }
      }
    }
  }

  @Test
  void aStackNeedsAsManyTasksInItsImagesParametersAndEdgeWeights() {
    Supernet net = new Supernet(spec);
    try (NDManager m = NDManager.newBaseManager()) {
      ParameterSet two = ParameterSet.loadStacked(List.of(ParameterInitializer.initialize(spec, 1), ParameterInitializer.initialize(spec, 2)), m, t -> false);
      NDArray x = m.zeros(new Shape(4, 2, 28, 28));
      IllegalArgumentException weights = assertThrows(IllegalArgumentException.class, () -> net.forwardStacked(two, x, gumbel(two, 1, 0, m), m));
      assertTrue(weights.getMessage().contains("edge weights of 1"), weights.getMessage());
      IllegalArgumentException channels = assertThrows(IllegalArgumentException.class, () -> net.forwardStacked(two, m.zeros(new Shape(4, 3, 28, 28)), gumbel(two, 2, 0, m), m));
      assertTrue(channels.getMessage().contains("2 tasks"), channels.getMessage());
      assertThrows(IllegalArgumentException.class, () -> net.forward(two, x, gumbel(two, 2, 0, m), m));
      assertThrows(IllegalStateException.class, two::toBundle);
      assertEquals(2, two.toBundles().size());
    }
  }

  /** Soft Gumbel edge weights from a fixed draw per task (task {@code first} + i for stacked task i). */
  private static EdgeWeights gumbel(ParameterSet p, int tasks, int first, NDManager m) {
    NDArray[] w = new NDArray[2];
    CellType[] types = {CellType.NORMAL, CellType.REDUCE};
    for (int c = 0; c < 2; c++) {
      NDArray alpha = p.get(TensorNames.alpha(types[c]));
      Shape one = new Shape(alpha.getShape().get(0) / tasks, alpha.getShape().get(1));
      NDList noise = new NDList();
      for (int t = 0; t < tasks; t++) {
        noise.add(m.create(RelaxationSampling.gumbelNoise((int) one.size(), new SplittableRandom(100L * (first + t) + c)), one));
      }
      w[c] = RelaxationSampling.sampleWithNoise(Relaxation.GUMBEL_SOFTMAX, alpha, 0.5f, NDArrays.concat(noise, 0), m);
    }
    return tasks == 1 ? new EdgeWeights(w[0], w[1]) : EdgeWeights.stacked(w[0], w[1], tasks);
  }

  /** Sum over tasks of each one's mean cross-entropy; task {@code first} + t labels row i (i + first + t) % ways. */
  private NDArray loss(NDArray logits, int tasks, int first) {
    NDManager m = logits.getManager();
    float[] oneHot = new float[tasks * BATCH * spec.ways()];
    for (int t = 0; t < tasks; t++) {
      for (int i = 0; i < BATCH; i++) {
        oneHot[(t * BATCH + i) * spec.ways() + (i + first + t) % spec.ways()] = 1f;
      }
    }
    if (tasks == 1) {
      return Losses.crossEntropy(logits, m.create(oneHot, logits.getShape()));
    }
    return Losses.crossEntropyPerTask(logits, m.create(oneHot, logits.getShape())).sum();
  }

  private static List<float[]> gradients(ParameterSet p) {
    List<float[]> out = new ArrayList<>();
    for (String name : p.trainable()) {
      out.add(p.get(name).getGradient().toFloatArray());
    }
    return out;
  }

  private static float[] gaussian(SplittableRandom rng, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }

  /** Equal to within {@code relative} of the larger vector's largest magnitude, elementwise. */
  private static void assertClose(float[] expected, float[] actual, double relative, String what) {
    assertEquals(expected.length, actual.length, what);
    double scale = 1e-12;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      assertTrue(Math.abs(expected[i] - actual[i]) <= relative * scale, what + " [" + i + "]: " + expected[i] + " vs " + actual[i]);
    }
  }
}
