package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.fedbase.space.Operation;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One state of a supernet cell (an input or a node's output) with what every edge leaving it
 * computes alike: its ReLU, which every separable and dilated convolution starts with, and the
 * outputs of the weight-free operations (pooling + BN, the stride-1 skip), which depend only on the
 * state and the stride — the same for all edges leaving a state — as long as BN keeps no running
 * statistics, as in the supernet. DARTS computes them once per edge; here once per state.
 */
final class CellState {

  private final NDArray value;
  private NDArray relu;
  private final Map<Operation, NDArray> weightFree = new EnumMap<>(Operation.class);

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

  /** The output of the weight-free {@code op}, computed by {@code compute} on first use and shared by every later edge. */
  NDArray shared(Operation op, Function<CellState, NDArray> compute) {
    NDArray out = weightFree.get(op);
    if (out == null) {
      out = compute.apply(this);
      weightFree.put(op, out);
    }
    return out;
  }
}
