package io.fedbase.supernet;

import io.fedbase.genotype.Genotype;
import io.fedbase.space.CellPlan;
import io.fedbase.space.Digests;
import io.fedbase.space.OperationWeights;
import io.fedbase.space.StemSpec;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The discrete network of a genotype: the supernet's stems, cell layout and classifier, but each
 * node keeps only its two chosen operations. Sizes (channels, cell count) may differ from the
 * search, as when DARTS trains a found cell at a larger scale.
 */
public final class DerivedNetworkSpec {

  private final Genotype genotype;
  private final SupernetSpec frame;
  private final List<TensorSpec> tensors;
  private final String hash;

  /**
   * @param genotype the cells to stack
   * @param frame sizes, cell layout, stems and classifier width; its operation list only checks
   *     that the genotype belongs to the search space
   */
  public DerivedNetworkSpec(Genotype genotype, SupernetSpec frame) {
    genotype.validate(frame.operations(), frame.nodes());
    this.genotype = genotype;
    this.frame = frame;
    this.tensors = layout();
    this.hash = Digests.sha256Hex(canonicalText());
  }

  /** Weight name of part {@code part} of choice {@code k} (0 or 1) of node {@code node}. */
  static String choiceWeight(int cell, int node, int k, Genotype.Choice choice, String part) {
    return "cell" + cell + ".node" + node + ".in" + k + "." + choice.op().dartsName() + "." + part + ".weight";
  }

  private List<TensorSpec> layout() {
    List<TensorSpec> out = new ArrayList<>();
    for (TensorSpec t : frame.tensors()) {
      // stems, cell preprocessing and classifier are shared with the supernet's layout
      if (!t.logits() && !t.name().contains(".edge")) {
        out.add(t);
      }
    }
    List<TensorSpec> ops = new ArrayList<>();
    for (CellPlan cell : frame.cellPlans()) {
      List<Genotype.Choice> choices = genotype.cell(cell.type());
      for (int i = 0; i < choices.size(); i++) {
        Genotype.Choice c = choices.get(i);
        for (OperationWeights.Part part : OperationWeights.parts(c.op(), cell.channels(), cell.strideFrom(c.input()))) {
          ops.add(TensorSpec.weight(choiceWeight(cell.index(), i / 2, i % 2, c, part.name()), part.shape()));
        }
      }
    }
    // keep the classifier last, after the cell operations, like the supernet's order
    List<TensorSpec> head = out.stream().filter(t -> t.name().startsWith("classifier.")).toList();
    out.removeAll(head);
    out.addAll(ops);
    out.addAll(head);
    return List.copyOf(out);
  }

  private String canonicalText() {
    StringBuilder sb = new StringBuilder("fedbase-derived/1\n");
    sb.append("genotype=").append(io.fedbase.genotype.DartsNotation.format(genotype)).append('\n');
    for (TensorSpec t : tensors) {
      sb.append("tensor=").append(t.name()).append(' ').append(t.shapeText()).append('\n');
    }
    for (StemSpec s : frame.stems()) {
      sb.append("stem=").append(s.signature()).append('/').append(s.downsample()).append('\n');
    }
    return sb.toString();
  }

  public Genotype genotype() {
    return genotype;
  }

  /** Sizes, layout, stems and classifier width. */
  public SupernetSpec frame() {
    return frame;
  }

  public List<TensorSpec> tensors() {
    return tensors;
  }

  public String hash() {
    return hash;
  }

  /** Total number of weights. */
  public long parameterCount() {
    return tensors.stream().mapToLong(TensorSpec::size).sum();
  }
}
