package io.fedbase.space;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Everything that fixes the shape of W: sizes, cell layout, operations, stems and classifier
 * width. Coordinator and nodes compare {@link #hash()} so they never mix parameters of two
 * different supernets.
 */
public final class SupernetSpec {

  /** Bumped when the meaning of the canonical text (and so of the hash) changes. */
  static final String CANONICAL_VERSION = "fedbase-supernet/1";

  private final String profile;
  private final int channels;
  private final List<CellType> cells;
  private final int nodes;
  private final List<Operation> operations;
  private final int stemMultiplier;
  private final List<StemSpec> stems;
  private final int ways;
  private final List<CellPlan> cellPlans;
  private final List<TensorSpec> tensors;
  private final String hash;

  private SupernetSpec(Builder b) {
    this.profile = b.profile;
    this.channels = b.channels;
    this.cells = List.copyOf(b.cells);
    this.nodes = b.nodes;
    this.operations = List.copyOf(b.operations);
    this.stemMultiplier = b.stemMultiplier;
    this.stems = List.copyOf(b.stems);
    this.ways = b.ways;
    validate();
    this.cellPlans = planCells();
    this.tensors = layoutTensors();
    this.hash = Digests.sha256Hex(canonicalText());
  }

  /** The named profiles: {@code small} (CPU-sized) and {@code paper} (DARTS-sized). */
  public static SupernetSpec profile(String name) {
    return profileBuilder(name).build();
  }

  /** A builder preset to a named profile, for overriding single sizes. */
  public static Builder profileBuilder(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "small":
        return new Builder()
            .setProfile("small")
            .setChannels(8)
            .setCells(List.of(CellType.NORMAL, CellType.REDUCE))
            .setNodes(3)
            .setOperations(
                List.of(
                    Operation.NONE,
                    Operation.MAX_POOL_3X3,
                    Operation.SKIP_CONNECT,
                    Operation.SEP_CONV_3X3,
                    Operation.DIL_CONV_3X3))
            .setStems(
                List.of(
                    new StemSpec(new InputSignature(1, 28, 28), 2),
                    new StemSpec(new InputSignature(3, 32, 32), 1)))
            .setWays(4);
      case "paper":
        return new Builder()
            .setProfile("paper")
            .setChannels(16)
            .setCells(dartsCells(8))
            .setNodes(4)
            .setOperations(List.of(Operation.values()))
            .setStems(
                List.of(
                    new StemSpec(new InputSignature(1, 28, 28), 2),
                    new StemSpec(new InputSignature(3, 32, 32), 1),
                    new StemSpec(new InputSignature(3, 224, 224), 8)))
            .setWays(5);
      default:
        throw new IllegalArgumentException(
            "unknown profile '" + name + "'; known profiles: small, paper");
    }
  }

  /** DARTS' layout of {@code count} cells: reductions at count/3 and 2*count/3. */
  public static List<CellType> dartsCells(int count) {
    List<CellType> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      boolean reduce = count >= 3 ? (i == count / 3 || i == 2 * count / 3) : i == count - 1 && i > 0;
      out.add(reduce ? CellType.REDUCE : CellType.NORMAL);
    }
    return out;
  }

  /** A builder holding this spec's values. */
  public Builder toBuilder() {
    return new Builder()
        .setProfile(profile)
        .setChannels(channels)
        .setCells(cells)
        .setNodes(nodes)
        .setOperations(operations)
        .optStemMultiplier(stemMultiplier)
        .setStems(stems)
        .setWays(ways);
  }

  private void validate() {
    require(channels >= 2, "channels must be at least 2, got " + channels);
    require(!cells.isEmpty(), "a supernet needs at least one cell");
    require(nodes >= 1 && nodes <= 8, "nodes must be between 1 and 8, got " + nodes);
    require(!operations.isEmpty(), "the operation list is empty");
    require(
        new LinkedHashSet<>(operations).size() == operations.size(),
        "the operation list has duplicates: " + operations);
    require(
        operations.stream().anyMatch(op -> op != Operation.NONE),
        "the operation list needs at least one operation besides none");
    require(stemMultiplier >= 1, "stem multiplier must be positive");
    require(!stems.isEmpty(), "a supernet needs at least one stem");
    require(
        stems.stream().map(StemSpec::signature).distinct().count() == stems.size(),
        "two stems share one input signature: " + stems);
    require(ways >= 2, "the classifier needs at least 2 ways, got " + ways);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private List<CellPlan> planCells() {
    List<CellPlan> plans = new ArrayList<>();
    int stemChannels = stemMultiplier * channels;
    int prevPrev = stemChannels;
    int prev = stemChannels;
    int current = channels;
    boolean reductionPrev = false;
    for (int i = 0; i < cells.size(); i++) {
      CellType type = cells.get(i);
      if (type == CellType.REDUCE) {
        current *= 2;
      }
      CellPlan plan = new CellPlan(i, type, reductionPrev, prevPrev, prev, current, nodes);
      plans.add(plan);
      reductionPrev = type == CellType.REDUCE;
      prevPrev = prev;
      prev = plan.outputChannels();
    }
    return Collections.unmodifiableList(plans);
  }

  private List<TensorSpec> layoutTensors() {
    List<TensorSpec> out = new ArrayList<>();
    int stemChannels = stemChannels();
    for (StemSpec stem : stems) {
      int in = stem.signature().channels();
      for (int layer = 0; layer < stem.layers(); layer++) {
        out.add(TensorSpec.weight(TensorNames.stemConv(stem.signature(), layer), stemChannels, in, 3, 3));
        out.add(TensorSpec.weight(TensorNames.stemBn(stem.signature(), layer, "gamma"), stemChannels));
        out.add(TensorSpec.weight(TensorNames.stemBn(stem.signature(), layer, "beta"), stemChannels));
        in = stemChannels;
      }
    }
    for (CellPlan cell : cellPlans) {
      int c = cell.channels();
      if (cell.reductionPrev()) {
        out.add(TensorSpec.weight(TensorNames.preprocess(cell.index(), 0, "conv1"), c / 2, cell.prevPrevChannels(), 1, 1));
        out.add(TensorSpec.weight(TensorNames.preprocess(cell.index(), 0, "conv2"), c - c / 2, cell.prevPrevChannels(), 1, 1));
      } else {
        out.add(TensorSpec.weight(TensorNames.preprocess(cell.index(), 0, "conv"), c, cell.prevPrevChannels(), 1, 1));
      }
      out.add(TensorSpec.weight(TensorNames.preprocess(cell.index(), 1, "conv"), c, cell.prevChannels(), 1, 1));
      for (int node = 0; node < nodes; node++) {
        for (int state = 0; state < node + 2; state++) {
          int edge = EdgeIndex.of(node, state);
          for (Operation op : operations) {
            for (OperationWeights.Part part : OperationWeights.parts(op, c, cell.strideFrom(state))) {
              out.add(TensorSpec.weight(TensorNames.edge(cell.index(), edge, op, part.name()), part.shape()));
            }
          }
        }
      }
    }
    int features = cellPlans.get(cellPlans.size() - 1).outputChannels();
    out.add(TensorSpec.weight(TensorNames.CLASSIFIER_WEIGHT, ways, features));
    out.add(TensorSpec.weight(TensorNames.CLASSIFIER_BIAS, ways));
    out.add(TensorSpec.logits(TensorNames.alpha(CellType.NORMAL), edges(), operations.size()));
    out.add(TensorSpec.logits(TensorNames.alpha(CellType.REDUCE), edges(), operations.size()));
    return Collections.unmodifiableList(out);
  }

  /** The text the hash is computed over: every size, op and tensor, one per line. */
  public String canonicalText() {
    StringBuilder sb = new StringBuilder(CANONICAL_VERSION).append('\n');
    sb.append("channels=").append(channels).append('\n');
    sb.append("cells=").append(cells.stream().map(CellType::key).collect(Collectors.joining(","))).append('\n');
    sb.append("nodes=").append(nodes).append('\n');
    sb.append("operations=").append(operations.stream().map(Operation::dartsName).collect(Collectors.joining(","))).append('\n');
    sb.append("stem_multiplier=").append(stemMultiplier).append('\n');
    sb.append("ways=").append(ways).append('\n');
    for (StemSpec stem : stems) {
      sb.append("stem=").append(stem.signature()).append('/').append(stem.downsample()).append('\n');
    }
    for (TensorSpec t : tensors) {
      sb.append("tensor=").append(t.name()).append(' ').append(t.shapeText()).append(t.logits() ? " logits" : " weight").append('\n');
    }
    return sb.toString();
  }

  /**
   * Rebuilds a spec from its {@link #canonicalText()}, e.g. as a coordinator sends it to nodes.
   * The rebuilt spec must reproduce the text exactly, so a node can never train a model that
   * differs from the coordinator's in a detail the parser does not know.
   */
  public static SupernetSpec parseCanonical(String text) {
    String[] lines = text.split("\n");
    if (lines.length == 0 || !lines[0].equals(CANONICAL_VERSION)) {
      throw new IllegalArgumentException(
          "model spec must start with '" + CANONICAL_VERSION + "', got '" + (lines.length == 0 ? "" : lines[0]) + "'");
    }
    Builder b = new Builder().setProfile("remote");
    List<StemSpec> stems = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int eq = line.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("model spec line " + (i + 1) + " has no '=': " + line);
      }
      String key = line.substring(0, eq);
      String value = line.substring(eq + 1);
      try {
        switch (key) {
          case "channels" -> b.setChannels(Integer.parseInt(value));
          case "cells" -> b.setCells(Arrays.stream(value.split(",")).map(CellType::fromKey).toList());
          case "nodes" -> b.setNodes(Integer.parseInt(value));
          case "operations" -> b.setOperations(Arrays.stream(value.split(",")).map(Operation::fromDartsName).toList());
          case "stem_multiplier" -> b.optStemMultiplier(Integer.parseInt(value));
          case "ways" -> b.setWays(Integer.parseInt(value));
          case "stem" -> {
            String[] parts = value.split("/");
            stems.add(new StemSpec(InputSignature.parse(parts[0]), Integer.parseInt(parts[1])));
          }
          case "tensor" -> {
            // derived from the sizes above; checked by the round trip below
          }
          default -> throw new IllegalArgumentException("model spec line " + (i + 1) + " has an unknown key '" + key + "'");
        }
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        throw new IllegalArgumentException("model spec line " + (i + 1) + " is malformed: " + line);
      }
    }
    SupernetSpec spec = b.setStems(stems).build();
    if (!spec.canonicalText().equals(text)) {
      throw new IllegalArgumentException("model spec does not round-trip; it was written by an incompatible fedbase version");
    }
    return spec;
  }

  /** Profile name this spec started from (informational, not part of the hash). */
  public String profileName() {
    return profile;
  }

  public int channels() {
    return channels;
  }

  public List<CellType> cells() {
    return cells;
  }

  public int nodes() {
    return nodes;
  }

  public List<Operation> operations() {
    return operations;
  }

  public int stemMultiplier() {
    return stemMultiplier;
  }

  /** Channels produced by every stem. */
  public int stemChannels() {
    return stemMultiplier * channels;
  }

  public List<StemSpec> stems() {
    return stems;
  }

  public int ways() {
    return ways;
  }

  /** Edges per cell. */
  public int edges() {
    return EdgeIndex.edges(nodes);
  }

  public List<CellPlan> cellPlans() {
    return cellPlans;
  }

  /** Every tensor of W in canonical order. */
  public List<TensorSpec> tensors() {
    return tensors;
  }

  /** SHA-256 (hex) of {@link #canonicalText()}. */
  public String hash() {
    return hash;
  }

  /** The stem for a signature, if the spec has one. */
  public Optional<StemSpec> stemFor(InputSignature signature) {
    return stems.stream().filter(s -> s.signature().equals(signature)).findFirst();
  }

  /** This spec plus a default stem for {@code signature} (itself if it already has one). */
  public SupernetSpec withStemFor(InputSignature signature) {
    if (stemFor(signature).isPresent()) {
      return this;
    }
    List<StemSpec> more = new ArrayList<>(stems);
    more.add(StemSpec.defaultFor(signature));
    return toBuilder().setStems(more).build();
  }

  /** Total number of weight values and of logit values. */
  public long[] parameterCounts() {
    long weights = 0;
    long logits = 0;
    for (TensorSpec t : tensors) {
      if (t.logits()) {
        logits += t.size();
      } else {
        weights += t.size();
      }
    }
    return new long[] {weights, logits};
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SupernetSpec s && s.hash.equals(hash);
  }

  @Override
  public int hashCode() {
    return hash.hashCode();
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "%s: C=%d, cells=%s, nodes=%d, ops=%s, stems=%s, ways=%d, hash=%s",
        profile,
        channels,
        cells.stream().map(CellType::key).collect(Collectors.joining(",")),
        nodes,
        operations,
        stems.stream().map(s -> s.signature() + "/" + s.downsample()).collect(Collectors.toList()),
        ways,
        hash.substring(0, 12));
  }

  /** Builder in DJL's style: {@code setX} values are required, {@code optX} have defaults. */
  public static final class Builder {
    private String profile = "custom";
    private int channels;
    private List<CellType> cells;
    private int nodes;
    private List<Operation> operations;
    private int stemMultiplier = 3;
    private List<StemSpec> stems;
    private int ways;

    public Builder setProfile(String profile) {
      this.profile = profile;
      return this;
    }

    public Builder setChannels(int channels) {
      this.channels = channels;
      return this;
    }

    public Builder setCells(List<CellType> cells) {
      this.cells = List.copyOf(cells);
      return this;
    }

    public Builder setNodes(int nodes) {
      this.nodes = nodes;
      return this;
    }

    public Builder setOperations(List<Operation> operations) {
      this.operations = List.copyOf(operations);
      return this;
    }

    public Builder optStemMultiplier(int stemMultiplier) {
      this.stemMultiplier = stemMultiplier;
      return this;
    }

    public Builder setStems(List<StemSpec> stems) {
      this.stems = List.copyOf(stems);
      return this;
    }

    public Builder setWays(int ways) {
      this.ways = ways;
      return this;
    }

    /** Validates and builds the spec. */
    public SupernetSpec build() {
      if (cells == null || operations == null || stems == null) {
        throw new IllegalArgumentException("cells, operations and stems must be set");
      }
      return new SupernetSpec(this);
    }
  }
}
