package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellPlan;
import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The supernet computes each cell state's ReLU and weight-free operations once for all edges that
 * leave it; DARTS as written computes them once per edge. Both must be the same function with the
 * same gradients.
 */
class SharedStateWorkTest {

  @Test
  void sharingPerStateWorkChangesNeitherTheLogitsNorTheGradients() {
    // every operation, a reduction cell (stride-2 edges: shared pools, unshared factorized skips) and 3 nodes
    SupernetSpec spec =
        SupernetSpec.profileBuilder("small").setOperations(List.of(Operation.values())).setNodes(3).build();
    Supernet net = new Supernet(spec);
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray images = images(m);
      Result shared = run(spec, m, images, (p, x, w, scope) -> net.forward(p, x, w, scope));
      Result perEdge = run(spec, m, images, (p, x, w, scope) -> perEdgeForward(spec, p, x, w, scope));
      assertClose(perEdge.logits, shared.logits, 1e-6f, "logits");
      assertTrue(maxAbs(perEdge.alphaGradient) > 1e-6, "the logits receive gradient");
      assertClose(perEdge.alphaGradient, shared.alphaGradient, 1e-5f, "gradient of the normal cell's logits");
      assertClose(perEdge.weightGradient, shared.weightGradient, 1e-5f, "gradient of a preprocessing convolution");
    }
  }

  private interface Forward {
    NDArray apply(ParameterSet p, NDArray images, EdgeWeights w, NDManager scope);
  }

  private record Result(float[] logits, float[] alphaGradient, float[] weightGradient) {}

  private static Result run(SupernetSpec spec, NDManager m, NDArray images, Forward forward) {
    try (NDManager scope = m.newSubManager()) {
      ParameterSet p = ParameterSet.load(ParameterInitializer.initialize(spec, 3), scope, t -> true);
      NDArray alphaNormal = p.get(TensorNames.alpha(CellType.NORMAL));
      NDArray conv = p.get(TensorNames.preprocess(0, 0, "conv"));
      float[] logits;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        EdgeWeights w =
            new EdgeWeights(
                RelaxationSampling.sample(Relaxation.SOFTMAX, alphaNormal, 1f, null, scope),
                RelaxationSampling.sample(Relaxation.SOFTMAX, p.get(TensorNames.alpha(CellType.REDUCE)), 1f, null, scope));
        NDArray out = forward.apply(p, images, w, scope);
        logits = out.toFloatArray();
        gc.backward(out.mul(out).sum());
      }
      return new Result(logits, alphaNormal.getGradient().toFloatArray(), conv.getGradient().toFloatArray());
    }
  }

  /** The supernet as DARTS writes it: every operation of every edge computed from the edge's input. */
  private static NDArray perEdgeForward(SupernetSpec spec, ParameterSet p, NDArray images, EdgeWeights mixing, NDManager scope) {
    ForwardScope fs = new ForwardScope(scope);
    NDArray h = Supernet.stem(fs, p, spec.stemFor(Supernet.signatureOf(images)).orElseThrow(), images);
    NDArray s0 = h;
    NDArray s1 = h;
    List<Operation> ops = spec.operations();
    for (CellPlan cell : spec.cellPlans()) {
      List<NDArray> weights = mixing.factors(cell.type(), cell.channels());
      List<NDArray> states = new ArrayList<>(Supernet.preprocess(fs, p, cell, s0, s1));
      for (int node = 0; node < cell.nodes(); node++) {
        NDArray sum = null;
        for (int state = 0; state < node + 2; state++) {
          int edge = EdgeIndex.of(node, state);
          for (int o = 0; o < ops.size(); o++) {
            Operation op = ops.get(o);
            if (op == Operation.NONE) {
              continue;
            }
            NDArray y =
                EdgeOperation.apply(fs, op, states.get(state), cell.strideFrom(state), part -> p.get(TensorNames.edge(cell.index(), edge, op, part)));
            NDArray weighted = y.mul(weights.get(edge * ops.size() + o));
            sum = sum == null ? weighted : sum.add(weighted);
          }
        }
        states.add(sum);
      }
      s0 = s1;
      s1 = NDArrays.concat(new NDList(states.subList(2, states.size())), 1);
    }
    NDArray features = Pool.globalAvgPool2d(s1).reshape(images.getShape().get(0), -1);
    return Linear.linear(features, p.get(TensorNames.CLASSIFIER_WEIGHT), p.get(TensorNames.CLASSIFIER_BIAS)).singletonOrThrow();
  }

  private static NDArray images(NDManager m) {
    SplittableRandom rng = new SplittableRandom(8);
    float[] v = new float[4 * 28 * 28];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return m.create(v, new Shape(4, 1, 28, 28));
  }

  private static void assertClose(float[] expected, float[] actual, float relative, String what) {
    assertEquals(expected.length, actual.length, what);
    float scale = (float) Math.max(1e-6, maxAbs(expected));
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], relative * scale, what + " at " + i);
    }
  }

  private static double maxAbs(float[] v) {
    double best = 0;
    for (float x : v) {
      best = Math.max(best, Math.abs(x));
    }
    return best;
  }
}
