package io.fedbase.cli.command;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.space.Digests;
import io.fedbase.space.CellType;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code prior fetch}, {@code info} and {@code compare}: get a prior from a coordinator, describe or compare bundle files. */
@Command(
    name = "prior",
    mixinStandardHelpOptions = true,
    description = "Download a prior from a coordinator, or describe or compare bundle files.",
    subcommands = {PriorCommand.Fetch.class, PriorCommand.Info.class, PriorCommand.Compare.class})
public final class PriorCommand implements Runnable {

  @Override
  public void run() {
    throw new IllegalArgumentException("use 'prior fetch', 'prior info' or 'prior compare' (see 'prior --help')");
  }

  // no standard -V/--version here: --version selects the prior version (so the flag keeps its meaning across commands that take a version)
  @Command(name = "fetch", description = "Download a committed prior version; resumes an interrupted download.")
  static final class Fetch implements Callable<Integer> {

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--coordinator", required = true, description = "HOST:PORT of the coordinator.")
    String coordinator;

    @Option(names = "--version", defaultValue = "latest", description = "A version number or latest (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--out", required = true, description = "Where to write the bundle file.")
    Path out;

    @Mixin ClientTlsOptions tls;

    @Override
    public Integer call() throws Exception {
      long requested = parseVersion(version);
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      ManagedChannel channel = CoordinatorChannels.open(coordinator, tls);
      try {
        long got = new CoordinatorClient(channel).fetchPrior(requested, out);
        StoredBundle stored = BundleFiles.read(out);
        System.out.printf("prior version %d -> %s (%d bytes, sha256 %s)%n", got, out, Files.size(out), Digests.sha256Hex(out));
        describeGenotype(stored);
      } finally {
        CoordinatorChannels.close(channel);
      }
      return 0;
    }

    private static long parseVersion(String text) {
      if (text.equalsIgnoreCase("latest")) {
        return 0;
      }
      try {
        long v = Long.parseLong(text);
        if (v < 0) {
          throw new NumberFormatException();
        }
        return v;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--version must be a version number or latest, got '" + text + "'");
      }
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true, description = "Describe a bundle file: spec, version, sizes, checksum, genotype.")
  static final class Info implements Callable<Integer> {

    @Parameters(paramLabel = "FILE", description = "A bundle file (.fbb).")
    Path file;

    @Override
    public Integer call() throws Exception {
      StoredBundle stored = BundleFiles.read(file);
      long weights = 0;
      long logits = 0;
      for (TensorSpec t : stored.bundle().layout().tensors()) {
        if (t.logits()) {
          logits += t.size();
        } else {
          weights += t.size();
        }
      }
      System.out.println("file: " + file + " (" + Files.size(file) + " bytes, sha256 " + Digests.sha256Hex(file) + ")");
      System.out.println("kind: " + stored.kind().name().replace("BUNDLE_KIND_", "").toLowerCase(Locale.ROOT));
      Optional<SupernetSpec> spec = stored.spec();
      System.out.println("spec: " + spec.map(SupernetSpec::toString).orElse("hash " + stored.bundle().layout().specHash()));
      System.out.printf(
          "tensors: %d (%,d weight values, %,d logit values)%n", stored.bundle().layout().tensors().size(), weights, logits);
      TreeMap<String, String> meta = new TreeMap<>(stored.metadata());
      meta.remove(StoredBundle.SPEC_TEXT);
      meta.forEach((k, v) -> System.out.println(k + ": " + v));
      describeGenotype(stored);
      return 0;
    }
  }

  @Command(
      name = "compare",
      mixinStandardHelpOptions = true,
      description = {
        "Say how far apart two priors of one model are, as one JSON line.",
        "The largest difference of one value, the L2 distance relative to A's norm, and with --base the distance relative",
        "to how far A moved from the base (e.g. two federations' final priors and their common version 0)."
      })
  static final class Compare implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "A", description = "A bundle file (.fbb).")
    Path first;

    @Parameters(index = "1", paramLabel = "B", description = "A bundle file of the same model.")
    Path second;

    @Option(names = "--base", paramLabel = "FILE", description = "The prior both started from.")
    Path base;

    @Override
    public Integer call() throws Exception {
      Bundle a = BundleFiles.read(first).bundle();
      Bundle b = BundleFiles.read(second, a.layout()).bundle();
      Bundle difference = a.minus(b);
      float[] d = difference.toArray();
      double max = 0;
      for (float v : d) {
        max = Math.max(max, Math.abs(v));
      }
      double distance = difference.norm();
      StringBuilder json = new StringBuilder();
      json.append(String.format(Locale.ROOT, "{\"max_abs_difference\":%.6g,\"l2_distance\":%.6g,\"relative_to_norm\":%.6g", max, distance, distance / a.norm()));
      if (base != null) {
        double moved = a.minus(BundleFiles.read(base, a.layout()).bundle()).norm();
        // JSON has no infinity: a prior that did not move has no relative difference
        String relative = moved == 0 ? "null" : String.format(Locale.ROOT, "%.6g", distance / moved);
        json.append(String.format(Locale.ROOT, ",\"a_moved\":%.6g,\"relative_to_change\":%s", moved, relative));
      }
      System.out.println(json.append('}'));
      return 0;
    }
  }

  private static void describeGenotype(StoredBundle stored) {
    Optional<SupernetSpec> spec = stored.spec();
    if (spec.isEmpty()) {
      System.out.println("genotype: unknown (the file does not carry its model spec)");
      return;
    }
    ArchitectureLogits logits = ArchitectureLogits.of(stored.bundle(), spec.get().operations(), spec.get().nodes());
    System.out.println("genotype (BASE rule): " + DartsNotation.format(GenotypeRule.BASE.derive(logits)));
    System.out.println("genotype (DARTS rule): " + DartsNotation.format(GenotypeRule.DARTS.derive(logits)));
    // how far the logits are from uniform says how much of the genotype is a decision and how much a tie
    for (CellType type : CellType.values()) {
      double largest = 0;
      for (double[] row : logits.softmax(type)) {
        for (double w : row) {
          largest = Math.max(largest, w);
        }
      }
      System.out.printf(
          Locale.ROOT, "logits (%s): mean entropy %.4f of %.4f when uniform, largest weight %.3f (uniform %.3f)%n", type.key(), logits.meanEntropy(type),
          Math.log(logits.ops().size()), largest, 1.0 / logits.ops().size());
    }
  }
}
