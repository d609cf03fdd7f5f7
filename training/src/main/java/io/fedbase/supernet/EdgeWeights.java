package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import io.fedbase.space.TensorNames;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Edge weights [edges, ops] for both cell types, as produced by a {@link Relaxation} (training) or
 * a plain softmax (evaluation). Each is split once into per-(edge, op) scalars for the mixed ops.
 * With several tasks stacked (see {@link TaskStack}) the weights are [tasks * edges, ops], task by
 * task, and each (edge, op) factor spreads every task's weight over that task's channels.
 */
public final class EdgeWeights {

  private final int tasks;
  private final Map<CellType, NDArray> weights = new EnumMap<>(CellType.class);
  private final Map<String, List<NDArray>> factors = new HashMap<>();

  public EdgeWeights(NDArray normal, NDArray reduce) {
    this(normal, reduce, 1);
  }

  private EdgeWeights(NDArray normal, NDArray reduce, int tasks) {
    this.tasks = tasks;
    weights.put(CellType.NORMAL, normal);
    weights.put(CellType.REDUCE, reduce);
  }

  /** The edge weights of {@code tasks} tasks, each cell type's [tasks * edges, ops] (task-major). */
  public static EdgeWeights stacked(NDArray normal, NDArray reduce, int tasks) {
    if (tasks < 1 || normal.getShape().get(0) % tasks != 0 || reduce.getShape().get(0) % tasks != 0) {
      throw new IllegalArgumentException(
          "edge weights " + normal.getShape() + " and " + reduce.getShape() + " do not hold " + tasks + " tasks");
    }
    return new EdgeWeights(normal, reduce, tasks);
  }

  /**
   * Both cell types' edge weights from the logits in {@code params} under {@code relaxation} at
   * temperature {@code tau}, with the Gumbel noise given ({@code null} for plain softmax), for as
   * many tasks as {@code params} holds; they belong to {@code scope}.
   */
  public static EdgeWeights sample(
      Relaxation relaxation, ParameterSet params, float tau, NDArray normalNoise, NDArray reduceNoise, NDManager scope) {
    return stacked(
        RelaxationSampling.sampleWithNoise(relaxation, params.get(TensorNames.alpha(CellType.NORMAL)), tau, normalNoise, scope),
        RelaxationSampling.sampleWithNoise(relaxation, params.get(TensorNames.alpha(CellType.REDUCE)), tau, reduceNoise, scope),
        params.tasks());
  }

  /** How many tasks' weights these are. */
  public int tasks() {
    return tasks;
  }

  /** The [edges, ops] weights of one cell type ([tasks * edges, ops] when stacked). */
  public NDArray of(CellType type) {
    return weights.get(type);
  }

  /**
   * The factor of every (edge, op) output, in edge-major order, for feature maps with {@code
   * channels} channels per task: 0-d scalars for one task, [1, tasks * channels, 1, 1] when stacked.
   */
  List<NDArray> factors(CellType type, long channels) {
    String key = type + (tasks == 1 ? "" : "/" + channels);
    return factors.computeIfAbsent(key, k -> tasks == 1 ? scalars(weights.get(type)) : spread(weights.get(type), channels));
  }

  private static List<NDArray> scalars(NDArray w) {
    return w.reshape(w.getShape().size()).split(w.getShape().size());
  }

  /** [tasks * edges, ops] to, per (edge, op), each task's weight repeated over its channels. */
  private List<NDArray> spread(NDArray w, long channels) {
    long outputs = w.getShape().size() / tasks;
    NDArray byOutput = w.reshape(tasks, outputs).transpose().reshape(outputs, tasks, 1);
    NDArray perChannel = byOutput.broadcast(new Shape(outputs, tasks, channels)).reshape(outputs, tasks * channels, 1, 1);
    return perChannel.split(outputs);
  }
}
