package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.space.SupernetSpec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DerivedNetworkTest {

  private static final Genotype CELLS =
      DartsNotation.parse(
          "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_3x3', 2),"
              + " ('max_pool_3x3', 1), ('skip_connect', 3)], normal_concat=range(2, 5),"
              + " reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 2),"
              + " ('skip_connect', 0), ('sep_conv_3x3', 3)], reduce_concat=range(2, 5))");

  @Test
  void buildsTheGenotypesCellsAndTrainsEveryWeight() {
    SupernetSpec small = SupernetSpec.profile("small");
    DerivedNetwork net = new DerivedNetwork(new DerivedNetworkSpec(CELLS, small));
    assertTrue(net.spec().parameterCount() < small.parameterCounts()[0], "a derived net is smaller than the supernet");
    Bundle w = net.initialize(3);
    float[] x = new float[8 * 784];
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    try (NDManager m = NDManager.newBaseManager()) {
      ParameterSet p = ParameterSet.load(w, m, t -> true);
      NDArray images = m.create(x, new Shape(8, 1, 28, 28));
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray logits = net.forward(p, images, m);
        assertEquals(new Shape(8, 4), logits.getShape());
        gc.backward(logits.square().sum());
      }
      for (String name : p.trainable()) {
        if (name.startsWith("stem.3x32x32")) {
          continue; // the colour stem takes no part in a grey forward pass
        }
        try (NDArray g = p.get(name).getGradient()) {
          assertTrue(g.abs().sum().getFloat() > 0, "no gradient reaches " + name);
        }
      }
    }
  }

  @Test
  void scalesUpAndRefusesGenotypesOutsideTheSpace() {
    SupernetSpec bigger = SupernetSpec.profile("small").toBuilder().setChannels(16).setCells(SupernetSpec.dartsCells(5)).build();
    DerivedNetworkSpec spec = new DerivedNetworkSpec(CELLS, bigger);
    assertTrue(spec.parameterCount() > new DerivedNetworkSpec(CELLS, SupernetSpec.profile("small")).parameterCount());
    SupernetSpec paper = SupernetSpec.profile("paper");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DerivedNetworkSpec(CELLS, paper));
    assertTrue(e.getMessage().contains("nodes"), e.getMessage());
  }

  @Test
  void runningStatisticsAverageTheBatchesAndMakeInferenceBatchIndependent() {
    DerivedNetwork net = new DerivedNetwork(new DerivedNetworkSpec(CELLS, SupernetSpec.profile("small")));
    Bundle w = net.initialize(5);
    float[] x = gaussian(8 * 784, 2);
    try (NDManager m = NDManager.newBaseManager();
        GradMode ignored = GradMode.disabled()) {
      ParameterSet p = ParameterSet.load(w, m, t -> false);
      NDArray images = m.create(x, new Shape(8, 1, 28, 28));
      RunningStatistics stats = RunningStatistics.empty(m);
      float[] batchLogits = net.forward(p, images, m).toFloatArray();
      // the first step's statistics are this batch's; later identical batches keep them there
      for (int i = 0; i < 3; i++) {
        try (NDManager step = m.newSubManager()) {
          net.forward(p, images, ForwardRegime.trainingStep(stats, 0f, i, i), step);
        }
      }
      RunningStatistics tenPercent = RunningStatistics.empty(m);
      net.forward(p, images, ForwardRegime.training(tenPercent, 0f, 0), m);
      float[] averaged = stats.toBundle().tensor("bn.0.running_mean");
      float[] moved = tenPercent.toBundle().tensor("bn.0.running_mean");
      for (int c = 0; c < averaged.length; c++) {
        assertEquals(0.1f * averaged[c], moved[c], 1e-5f, "PyTorch's momentum: one batch moves the mean 10% from 0");
      }
      assertTrue(stats.size() > 10, "every BN call gets statistics, got " + stats.size());
      float[] inference = net.forward(p, images, ForwardRegime.inference(stats), m).toFloatArray();
      assertArrayEquals(batchLogits, inference, 0.05f, "running statistics should match this batch's own");

      float[] firstHalfAlone =
          net.forward(p, images.get("0:4"), ForwardRegime.inference(stats), m).toFloatArray();
      float[] firstHalfInBatch = java.util.Arrays.copyOf(inference, firstHalfAlone.length);
      assertArrayEquals(firstHalfInBatch, firstHalfAlone, 1e-4f, "inference must not depend on the rest of the batch");
      float[] batchHalf = net.forward(p, images.get("0:4"), m).toFloatArray();
      assertTrue(maxDifference(batchHalf, java.util.Arrays.copyOf(batchLogits, batchHalf.length)) > 1e-3,
          "with batch statistics the same images score differently in another batch (the test would be vacuous)");

      RunningStatistics reloaded = RunningStatistics.load(stats.toBundle(), m);
      assertEquals(stats.size(), reloaded.size());
      assertArrayEquals(inference, net.forward(p, images, ForwardRegime.inference(reloaded), m).toFloatArray(), 0f);
    }
  }

  @Test
  void inferenceRefusesStatisticsOfAnotherNetwork() {
    DerivedNetwork net = new DerivedNetwork(new DerivedNetworkSpec(CELLS, SupernetSpec.profile("small")));
    SupernetSpec wider = SupernetSpec.profile("small").toBuilder().setChannels(12).build();
    DerivedNetwork other = new DerivedNetwork(new DerivedNetworkSpec(CELLS, wider));
    try (NDManager m = NDManager.newBaseManager();
        GradMode ignored = GradMode.disabled()) {
      NDArray images = m.create(gaussian(4 * 784, 3), new Shape(4, 1, 28, 28));
      RunningStatistics stats = RunningStatistics.empty(m);
      net.forward(ParameterSet.load(net.initialize(1), m, t -> false), images, ForwardRegime.training(stats, 0f, 0), m);
      ParameterSet otherParams = ParameterSet.load(other.initialize(1), m, t -> false);
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> other.forward(otherParams, images, ForwardRegime.inference(stats), m));
      assertTrue(e.getMessage().contains("channels"), e.getMessage());
      RunningStatistics none = RunningStatistics.empty(m);
      assertThrows(IllegalStateException.class, () -> net.forward(otherParams, images, ForwardRegime.inference(none), m));
    }
  }

  @Test
  void dropPathIsSeededAndStillLetsGradientsThrough() {
    DerivedNetwork net = new DerivedNetwork(new DerivedNetworkSpec(CELLS, SupernetSpec.profile("small")));
    try (NDManager m = NDManager.newBaseManager()) {
      ParameterSet p = ParameterSet.load(net.initialize(4), m, t -> true);
      NDArray images = m.create(gaussian(8 * 784, 4), new Shape(8, 1, 28, 28));
      RunningStatistics stats = RunningStatistics.empty(m);
      float[] plain;
      float[] dropped;
      float[] droppedAgain;
      try (GradMode ignored = GradMode.disabled()) {
        plain = net.forward(p, images, ForwardRegime.training(stats, 0f, 7), m).toFloatArray();
        dropped = net.forward(p, images, ForwardRegime.training(stats, 0.5f, 7), m).toFloatArray();
        droppedAgain = net.forward(p, images, ForwardRegime.training(stats, 0.5f, 7), m).toFloatArray();
      }
      assertTrue(maxDifference(plain, dropped) > 1e-3, "drop-path 0.5 must change the output");
      assertArrayEquals(dropped, droppedAgain, 1e-5f, "the same seed drops the same paths");
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(net.forward(p, images, ForwardRegime.training(stats, 0.3f, 8), m).square().sum());
      }
      try (NDArray g = p.get("classifier.weight").getGradient()) {
        assertTrue(g.abs().sum().getFloat() > 0);
      }
      assertThrows(IllegalArgumentException.class, () -> new ForwardRegime(stats, false, 0.2f, 0, 0.1f));
    }
  }

  private static float[] gaussian(int n, long seed) {
    float[] x = new float[n];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    return x;
  }

  private static double maxDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }
}
