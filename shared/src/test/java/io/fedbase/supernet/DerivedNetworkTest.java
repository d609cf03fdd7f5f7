package io.fedbase.supernet;

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
}
