package io.fedbase.space;

/**
 * DARTS edge numbering: node i (0-based) reads states 0..i+1, and its edges follow those of the
 * nodes before it, so edge = offset(i) + state with offset(i) = sum over k below i of (k + 2).
 */
public final class EdgeIndex {

  private EdgeIndex() {}

  /** Number of edges in a cell with {@code nodes} intermediate nodes. */
  public static int edges(int nodes) {
    return nodes * (nodes + 3) / 2;
  }

  /** Index of the first incoming edge of node {@code node}. */
  public static int offset(int node) {
    return node * (node + 3) / 2;
  }

  /** Index of the edge from {@code state} into {@code node}. */
  public static int of(int node, int state) {
    if (state < 0 || state > node + 1) {
      throw new IllegalArgumentException("node " + node + " cannot read state " + state);
    }
    return offset(node) + state;
  }
}
