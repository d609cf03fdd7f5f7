package io.fedbase.genotype;

import io.fedbase.space.CellType;
import io.fedbase.space.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * A discrete architecture: for every intermediate node of the normal and the reduction cell, two
 * (operation, input state) choices; the cell output concatenates all intermediate nodes.
 */
public record Genotype(int nodes, List<Choice> normal, List<Choice> reduce) {

  /** One incoming operation of a node: {@code op} applied to state {@code input}. */
  public record Choice(Operation op, int input) {}

  public Genotype {
    normal = List.copyOf(normal);
    reduce = List.copyOf(reduce);
  }

  /**
   * A genotype drawn uniformly from the search space: for each node of each cell, two distinct
   * input states and, for each, an operation other than {@code none}, all uniformly.
   */
  public static Genotype random(List<Operation> operations, int nodes, SplittableRandom rng) {
    List<Operation> usable = operations.stream().filter(o -> o != Operation.NONE).toList();
    if (usable.isEmpty()) {
      throw new IllegalArgumentException("the search space " + operations + " has no operation besides none");
    }
    List<List<Choice>> cells = new ArrayList<>();
    for (int cell = 0; cell < 2; cell++) {
      List<Choice> choices = new ArrayList<>();
      for (int node = 0; node < nodes; node++) {
        int states = node + 2;
        int first = rng.nextInt(states);
        int second = rng.nextInt(states - 1);
        if (second >= first) {
          second++;
        }
        choices.add(new Choice(usable.get(rng.nextInt(usable.size())), first));
        choices.add(new Choice(usable.get(rng.nextInt(usable.size())), second));
      }
      cells.add(choices);
    }
    return new Genotype(nodes, cells.get(0), cells.get(1));
  }

  /** The choices of one cell type, two per node in node order. */
  public List<Choice> cell(CellType type) {
    return type == CellType.NORMAL ? normal : reduce;
  }

  /** States concatenated into the cell output: 2 .. nodes+1. */
  public List<Integer> concat() {
    return IntStream.range(2, nodes + 2).boxed().toList();
  }

  /**
   * Checks that the genotype fits a search space of {@code nodes} nodes and the given operations;
   * throws {@link IllegalArgumentException} naming the first problem.
   */
  public void validate(List<Operation> operations, int spaceNodes) {
    if (nodes != spaceNodes) {
      throw new IllegalArgumentException("genotype has " + nodes + " nodes per cell, the search space has " + spaceNodes);
    }
    for (CellType type : CellType.values()) {
      List<Choice> choices = cell(type);
      if (choices.size() != 2 * nodes) {
        throw new IllegalArgumentException(
            type.key() + " cell lists " + choices.size() + " choices; " + nodes + " nodes need " + 2 * nodes);
      }
      for (int i = 0; i < choices.size(); i++) {
        int node = i / 2;
        Choice c = choices.get(i);
        if (c.op() == Operation.NONE) {
          throw new IllegalArgumentException(type.key() + " node " + node + " uses 'none', which a genotype cannot hold");
        }
        if (!operations.contains(c.op())) {
          throw new IllegalArgumentException(
              type.key() + " node " + node + " uses " + c.op() + ", which is not in the search space " + operations);
        }
        if (c.input() < 0 || c.input() > node + 1) {
          throw new IllegalArgumentException(
              type.key() + " node " + node + " reads state " + c.input() + ", but node " + node
                  + " can only read states 0.." + (node + 1));
        }
      }
    }
  }
}
