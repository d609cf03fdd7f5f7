package io.fedbase.space;

/**
 * Channel bookkeeping of one cell, as in DARTS: inputs of {@code prevPrevChannels} and {@code
 * prevChannels} are preprocessed to {@code channels}; the output concatenates the nodes.
 */
public record CellPlan(
    int index,
    CellType type,
    boolean reductionPrev,
    int prevPrevChannels,
    int prevChannels,
    int channels,
    int nodes) {

  /** True for a reduction cell, whose edges from the two cell inputs have stride 2. */
  public boolean reduction() {
    return type == CellType.REDUCE;
  }

  /** Channels of the cell output (concat of all intermediate nodes). */
  public int outputChannels() {
    return channels * nodes;
  }

  /** Stride of edge from state {@code state} (states 0 and 1 are the cell inputs). */
  public int strideFrom(int state) {
    return reduction() && state < 2 ? 2 : 1;
  }
}
