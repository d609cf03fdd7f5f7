package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.fedbase.space.Operation;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One state of a cell (an input or a node's output) with what every edge leaving it computes
 * alike: its ReLU, which every separable and dilated convolution starts with, and, where the
 * forward keeps no BN state, the outputs of the parameter-free operations (pooling + BN), which
 * depend only on the state and the stride — the same for all edges that leave it. DARTS computes
 * them once per edge; here they are computed once per state (BENCHMARKS §11).
 */
final class CellState {

  private final NDArray value;
  private NDArray relu;
  private final Map<Operation, NDArray> parameterFree = new EnumMap<>(Operation.class);

  CellState(NDArray value) {
    this.value = value;
  }

  NDArray value() {
    return value;
  }

  /** ReLU of the state, computed on first use. */
  NDArray relu() {
    if (relu == null) {
      relu = Activation.relu(value);
    }
    return relu;
  }

  /**
   * The output of {@code op}, computed by {@code compute} on first use and shared by every later
   * edge. Only for operations without weights, and only where normalisation keeps no running
   * statistics (each BN call there is a separate statistic of its own).
   */
  NDArray shared(Operation op, Function<CellState, NDArray> compute) {
    NDArray out = parameterFree.get(op);
    if (out == null) {
      out = compute.apply(this);
      parameterFree.put(op, out);
    }
    return out;
  }
}
