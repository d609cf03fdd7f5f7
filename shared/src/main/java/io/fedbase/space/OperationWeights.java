package io.fedbase.space;

import java.util.List;

/** Which weight tensors each candidate operation owns on an edge of {@code channels} channels. */
public final class OperationWeights {

  /** One weight of an operation: its name suffix and shape. */
  public record Part(String name, int[] shape) {}

  private OperationWeights() {}

  /** The weights of {@code op} on an edge with the given channels and stride, in forward order. */
  public static List<Part> parts(Operation op, int channels, int stride) {
    int c = channels;
    switch (op) {
      case SEP_CONV_3X3:
      case SEP_CONV_5X5:
        int k = op == Operation.SEP_CONV_3X3 ? 3 : 5;
        return List.of(
            new Part("dw1", new int[] {c, 1, k, k}),
            new Part("pw1", new int[] {c, c, 1, 1}),
            new Part("dw2", new int[] {c, 1, k, k}),
            new Part("pw2", new int[] {c, c, 1, 1}));
      case DIL_CONV_3X3:
      case DIL_CONV_5X5:
        int kd = op == Operation.DIL_CONV_3X3 ? 3 : 5;
        return List.of(new Part("dw", new int[] {c, 1, kd, kd}), new Part("pw", new int[] {c, c, 1, 1}));
      case SKIP_CONNECT:
        return stride == 1
            ? List.of()
            : List.of(
                new Part("conv1", new int[] {c / 2, c, 1, 1}),
                new Part("conv2", new int[] {c - c / 2, c, 1, 1}));
      case NONE:
      case MAX_POOL_3X3:
      case AVG_POOL_3X3:
        return List.of();
      default:
        throw new IllegalStateException("unhandled operation " + op);
    }
  }
}
