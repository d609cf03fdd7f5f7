package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.fedbase.space.CellPlan;
import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.StemSpec;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import java.util.ArrayList;
import java.util.List;

/**
 * The DARTS supernet of docs/ALGORITHM.md as a function of (parameters, images, edge weights): a stem per
 * input signature, normal and reduction cells whose edges mix every candidate operation, and a
 * shared N-way classifier. It holds no state, so any number of tasks can run through one instance.
 */
public final class Supernet {

  private final SupernetSpec spec;

  public Supernet(SupernetSpec spec) {
    this.spec = spec;
  }

  public SupernetSpec spec() {
    return spec;
  }

  /**
   * Class logits [B, ways] for images [B, C, H, W]. {@code mixing} holds the edge weights of both
   * cell types (rows = edges, columns = the spec's operations). All results belong to {@code
   * scope}, which must also hold (or temporarily hold) the parameters.
   */
  public NDArray forward(ParameterSet params, NDArray images, EdgeWeights mixing, NDManager scope) {
    InputSignature signature = signatureOf(images);
    StemSpec stem =
        spec.stemFor(signature)
            .orElseThrow(
                () -> new IllegalArgumentException("the supernet has no stem for input " + signature + "; stems: " + spec.stems()));
    ForwardScope fs = new ForwardScope(scope);
    NDArray h = stem(fs, params, stem, images);
    NDArray s0 = h;
    NDArray s1 = h;
    List<NDArray> normal = mixing.split(CellType.NORMAL);
    List<NDArray> reduce = mixing.split(CellType.REDUCE);
    for (CellPlan cell : spec.cellPlans()) {
      NDArray out = cell(fs, params, cell, s0, s1, cell.reduction() ? reduce : normal);
      s0 = s1;
      s1 = out;
    }
    long batch = images.getShape().get(0);
    NDArray features = Pool.globalAvgPool2d(s1).reshape(batch, -1);
    return Linear.linear(features, params.get(TensorNames.CLASSIFIER_WEIGHT), params.get(TensorNames.CLASSIFIER_BIAS))
        .singletonOrThrow();
  }

  static InputSignature signatureOf(NDArray images) {
    if (images.getShape().dimension() != 4) {
      throw new IllegalArgumentException("images must be [batch, channels, height, width], got " + images.getShape());
    }
    return new InputSignature(
        (int) images.getShape().get(1), (int) images.getShape().get(2), (int) images.getShape().get(3));
  }

  static NDArray stem(ForwardScope fs, ParameterSet p, StemSpec stem, NDArray x) {
    NDArray h = x;
    for (int layer = 0; layer < stem.layers(); layer++) {
      if (layer > 0) {
        h = Activation.relu(h);
      }
      h = SupernetOps.conv(h, p.get(TensorNames.stemConv(stem.signature(), layer)), stem.stride(), 1, 1, 1);
      h =
          SupernetOps.batchNorm(
              fs,
              h,
              p.get(TensorNames.stemBn(stem.signature(), layer, "gamma")),
              p.get(TensorNames.stemBn(stem.signature(), layer, "beta")));
    }
    return h;
  }

  private NDArray cell(ForwardScope fs, ParameterSet p, CellPlan cell, NDArray s0, NDArray s1, List<NDArray> weights) {
    List<NDArray> states = new ArrayList<>(preprocess(fs, p, cell, s0, s1));
    List<Operation> ops = spec.operations();
    for (int node = 0; node < cell.nodes(); node++) {
      NDArray sum = null;
      for (int state = 0; state < node + 2; state++) {
        int edge = EdgeIndex.of(node, state);
        NDArray mixed = mixedOp(fs, p, cell, edge, states.get(state), cell.strideFrom(state), ops, weights);
        sum = sum == null ? mixed : sum.add(mixed);
      }
      states.add(sum);
    }
    return NDArrays.concat(new NDList(states.subList(2, states.size())), 1);
  }

  /** The two cell inputs brought to the cell's width (and resolution, after a reduction). */
  static List<NDArray> preprocess(ForwardScope fs, ParameterSet p, CellPlan cell, NDArray s0, NDArray s1) {
    int i = cell.index();
    NDArray pre0 =
        cell.reductionPrev()
            ? SupernetOps.factorizedReduce(
                fs, s0, p.get(TensorNames.preprocess(i, 0, "conv1")), p.get(TensorNames.preprocess(i, 0, "conv2")))
            : SupernetOps.reluConvBn(fs, s0, p.get(TensorNames.preprocess(i, 0, "conv")));
    NDArray pre1 = SupernetOps.reluConvBn(fs, s1, p.get(TensorNames.preprocess(i, 1, "conv")));
    return List.of(pre0, pre1);
  }

  /**
   * Sum over operations of weight * op(x). {@code none} contributes exactly zero, so it is skipped;
   * its logit still competes in the softmax and so still receives gradient.
   */
  private static NDArray mixedOp(
      ForwardScope fs, ParameterSet p, CellPlan cell, int edge, NDArray x, int stride, List<Operation> ops, List<NDArray> weights) {
    NDArray sum = null;
    for (int o = 0; o < ops.size(); o++) {
      Operation op = ops.get(o);
      if (op == Operation.NONE) {
        continue;
      }
      NDArray y =
          EdgeOperation.apply(fs, op, x, stride, part -> p.get(TensorNames.edge(cell.index(), edge, op, part)));
      NDArray weighted = y.mul(weights.get(edge * ops.size() + o));
      sum = sum == null ? weighted : sum.add(weighted);
    }
    return sum;
  }
}
