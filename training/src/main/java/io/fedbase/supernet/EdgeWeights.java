package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Edge weights [edges, ops] for both cell types, as produced by a {@link Relaxation} (training) or
 * a plain softmax (evaluation). Each is split once into per-(edge, op) scalars for the mixed ops.
 */
public final class EdgeWeights {

  private final Map<CellType, NDArray> weights = new EnumMap<>(CellType.class);
  private final Map<CellType, List<NDArray>> scalars = new EnumMap<>(CellType.class);

  public EdgeWeights(NDArray normal, NDArray reduce) {
    weights.put(CellType.NORMAL, normal);
    weights.put(CellType.REDUCE, reduce);
  }

  /** The [edges, ops] weights of one cell type. */
  public NDArray of(CellType type) {
    return weights.get(type);
  }

  List<NDArray> split(CellType type) {
    return scalars.computeIfAbsent(
        type,
        t -> {
          NDArray w = weights.get(t);
          return w.reshape(w.getShape().size()).split(w.getShape().size());
        });
  }
}
