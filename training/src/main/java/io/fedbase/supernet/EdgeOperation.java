package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import io.fedbase.space.Operation;
import java.util.function.Function;

/**
 * Applies one candidate operation on one edge. Weights are looked up by part name ({@code dw1},
 * {@code pw1}, ...; see {@code OperationWeights}), so the supernet and a derived network share this.
 */
final class EdgeOperation {

  private EdgeOperation() {}

  static NDArray apply(ForwardScope scope, Operation op, NDArray x, int stride, Function<String, NDArray> weight) {
    return apply(scope, op, new CellState(x), stride, weight);
  }

  /** As above on a cell state, whose ReLU is computed once for every convolution that reads it. */
  static NDArray apply(ForwardScope scope, Operation op, CellState in, int stride, Function<String, NDArray> weight) {
    NDArray x = in.value();
    switch (op) {
      case NONE:
        return SupernetOps.zero(x, stride);
      case MAX_POOL_3X3:
        return SupernetOps.batchNorm(scope, SupernetOps.maxPool(x, stride), null, null);
      case AVG_POOL_3X3:
        return SupernetOps.batchNorm(scope, SupernetOps.avgPool(scope, x, stride), null, null);
      case SKIP_CONNECT:
        return stride == 1
            ? x
            : SupernetOps.factorizedReduce(scope, x, weight.apply("conv1"), weight.apply("conv2"));
      case SEP_CONV_3X3:
      case SEP_CONV_5X5:
        return SupernetOps.activatedSepConv(
            scope, in.relu(), weight.apply("dw1"), weight.apply("pw1"), weight.apply("dw2"), weight.apply("pw2"), stride);
      case DIL_CONV_3X3:
      case DIL_CONV_5X5:
        return SupernetOps.activatedDilConv(scope, in.relu(), weight.apply("dw"), weight.apply("pw"), stride, 2);
      default:
        throw new IllegalStateException("unhandled operation " + op);
    }
  }
}
