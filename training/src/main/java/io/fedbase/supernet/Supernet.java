package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.fedbase.space.CellPlan;
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
    requireTasks(1, params, mixing);
    ForwardScope fs = new ForwardScope(scope);
    NDArray features = features(fs, params, images, signatureOf(images), mixing);
    return Linear.linear(features, params.get(TensorNames.CLASSIFIER_WEIGHT), params.get(TensorNames.CLASSIFIER_BIAS))
        .singletonOrThrow();
  }

  /**
   * Class logits [T, B, ways] of T tasks at once (see {@link TaskStack}): {@code images} are [B, T *
   * C, H, W] with task t's images in channel block t, {@code params} and {@code mixing} hold T
   * tasks' values. Task t's logits are what {@link #forward} gives for its images, parameters and
   * edge weights alone, up to float rounding.
   */
  public NDArray forwardStacked(ParameterSet params, NDArray images, EdgeWeights mixing, NDManager scope) {
    int tasks = params.tasks();
    requireTasks(tasks, params, mixing);
    InputSignature stacked = signatureOf(images);
    if (stacked.channels() % tasks != 0) {
      throw new IllegalArgumentException("images " + images.getShape() + " do not hold " + tasks + " tasks' channels");
    }
    InputSignature signature = new InputSignature(stacked.channels() / tasks, stacked.height(), stacked.width());
    ForwardScope fs = new ForwardScope(scope, ForwardRegime.BATCH_STATISTICS, tasks);
    NDArray features = features(fs, params, images, signature, mixing);
    long batch = images.getShape().get(0);
    // [B, T * F] -> [T, B, F], times each task's [F, ways] classifier
    NDArray perTask = features.reshape(batch, tasks, -1).transpose(1, 0, 2);
    NDArray weight = params.get(TensorNames.CLASSIFIER_WEIGHT);
    long ways = weight.getShape().get(0) / tasks;
    NDArray classifiers = weight.reshape(tasks, ways, -1).transpose(0, 2, 1);
    NDArray bias = params.get(TensorNames.CLASSIFIER_BIAS).reshape(tasks, 1, ways);
    return perTask.batchMatMul(classifiers).add(bias);
  }

  private static void requireTasks(int tasks, ParameterSet params, EdgeWeights mixing) {
    if (params.tasks() != tasks || mixing.tasks() != tasks) {
      throw new IllegalArgumentException(
          "expected " + tasks + " task(s), got parameters of " + params.tasks() + " and edge weights of " + mixing.tasks());
    }
  }

  /** Stem and cells: pooled features [B, tasks * F]. */
  private NDArray features(ForwardScope fs, ParameterSet params, NDArray images, InputSignature signature, EdgeWeights mixing) {
    StemSpec stem =
        spec.stemFor(signature)
            .orElseThrow(
                () -> new IllegalArgumentException("the supernet has no stem for input " + signature + "; stems: " + spec.stems()));
    NDArray h = stem(fs, params, stem, images);
    NDArray s0 = h;
    NDArray s1 = h;
    for (CellPlan cell : spec.cellPlans()) {
      NDArray out = cell(fs, params, cell, s0, s1, mixing);
      s0 = s1;
      s1 = out;
    }
    return Pool.globalAvgPool2d(s1).reshape(images.getShape().get(0), -1);
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
      h = SupernetOps.denseConv(fs, h, p.get(TensorNames.stemConv(stem.signature(), layer)), stem.stride(), 1);
      h =
          SupernetOps.batchNorm(
              fs,
              h,
              p.get(TensorNames.stemBn(stem.signature(), layer, "gamma")),
              p.get(TensorNames.stemBn(stem.signature(), layer, "beta")));
    }
    return h;
  }

  private NDArray cell(ForwardScope fs, ParameterSet p, CellPlan cell, NDArray s0, NDArray s1, EdgeWeights mixing) {
    List<CellState> states = new ArrayList<>();
    for (NDArray input : preprocess(fs, p, cell, s0, s1)) {
      states.add(new CellState(input));
    }
    List<Operation> ops = spec.operations();
    List<NDArray> weights = mixing.factors(cell.type(), cell.channels());
    for (int node = 0; node < cell.nodes(); node++) {
      NDArray sum = null;
      for (int state = 0; state < node + 2; state++) {
        int edge = EdgeIndex.of(node, state);
        NDArray mixed = mixedOp(fs, p, cell, edge, states.get(state), cell.strideFrom(state), ops, weights);
        sum = sum == null ? mixed : sum.add(mixed);
      }
      states.add(new CellState(sum));
    }
    return fs.concatChannels(states.subList(2, states.size()).stream().map(CellState::value).toList());
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
   * its logit still competes in the softmax and so still receives gradient. Weight-free operations
   * come from the state's shared outputs: an edge's stride depends only on the state it leaves, and
   * the supernet's BN keeps no running statistics.
   */
  private static NDArray mixedOp(
      ForwardScope fs, ParameterSet p, CellPlan cell, int edge, CellState x, int stride, List<Operation> ops, List<NDArray> weights) {
    NDArray sum = null;
    for (int o = 0; o < ops.size(); o++) {
      Operation op = ops.get(o);
      if (op == Operation.NONE) {
        continue;
      }
      NDArray y =
          weightFree(op, stride)
              ? x.shared(op, state -> EdgeOperation.apply(fs, op, state, stride, part -> null))
              : EdgeOperation.apply(fs, op, x, stride, part -> p.get(TensorNames.edge(cell.index(), edge, op, part)));
      NDArray weighted = y.mul(weights.get(edge * ops.size() + o));
      sum = sum == null ? weighted : sum.add(weighted);
    }
    return sum;
  }

  /** Whether {@code op} at {@code stride} has no weights of its own (a skip at stride 2 has two convolutions). */
  private static boolean weightFree(Operation op, int stride) {
    return op == Operation.MAX_POOL_3X3 || op == Operation.AVG_POOL_3X3 || (op == Operation.SKIP_CONNECT && stride == 1);
  }
}
