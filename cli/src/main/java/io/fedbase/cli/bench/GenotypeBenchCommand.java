package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import io.fedbase.cli.GenotypeSource;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.genotype.Genotype;
import io.fedbase.learn.PairedStats;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench genotypes}: found genotypes against genotypes drawn uniformly from their search
 * space, each trained with the same recipe, budget and seeds and scored on a test set, and how far
 * the random genotypes spread beyond the seeds' noise ({@link GenotypeSpread}). Without a found
 * genotype it measures the spread of a space alone; with two it also compares them paired by seed,
 * one row of the task-specificity table (each genotype found on its own dataset, trained on this one).
 */
@Command(
    name = "genotypes",
    mixinStandardHelpOptions = true,
    description = {
      "A found genotype against random ones of the same space: test accuracy after training.",
      "Trains the derived network of --genotype and of --random genotypes sampled uniformly from the same",
      "search space (same shape, budget and seeds) and compares their test accuracy (mean and spread).",
      "With two or more seeds it also tests whether the random genotypes differ by more than the seeds' noise",
      "(the space's spread); without --genotype it measures only that, in the space of --ops and --nodes.",
      "Repeat --genotype to compare found genotypes with each other too, paired by seed (--random 0 skips the random ones)."
    })
public final class GenotypeBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(
      names = "--genotype",
      description = "A found genotype (genotype.json or DARTS notation), named after its folder; repeatable. Without it, only random ones.")
  List<Path> genotypeFiles = new ArrayList<>();

  @Option(
      names = "--ops",
      split = ",",
      description = "Without --genotype: the space's operations, DARTS names (default: the small profile's, max_pool_3x3,skip_connect,sep_conv_3x3,dil_conv_3x3).")
  List<String> spaceOps;

  @Option(names = "--nodes", description = "Without --genotype: intermediate nodes per cell (default: 3).")
  Integer spaceNodes;


  @Mixin GenotypeTrialOptions trial;

  @Option(names = "--random", defaultValue = "5", description = "Random genotypes to compare against; 0 with two or more --genotype (default: ${DEFAULT-VALUE}).")
  int randomCount;

  @Option(names = "--random-seed", defaultValue = "0", description = "Seed of the random genotypes (default: ${DEFAULT-VALUE}).")
  long randomSeed;

  @Option(names = "--seeds", split = ",", defaultValue = "1", description = "Training seeds, each used for every genotype (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;


  @Mixin DeviceOption device;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (randomCount < (genotypeFiles.size() >= 2 ? 0 : 1)) {
      throw new IllegalArgumentException("--random must be at least 1 (0 only with two or more --genotype)");
    }
    if (seeds.stream().distinct().count() != seeds.size()) {
      throw new IllegalArgumentException("--seeds must not repeat a seed, got " + seeds);
    }
    Map<String, GenotypeSource> found = readFound();
    if (!found.isEmpty() && (spaceOps != null || spaceNodes != null)) {
      throw new IllegalArgumentException("--ops and --nodes describe the space when there is no --genotype; the found genotype's space is used");
    }
    GenotypeSource first = found.isEmpty() ? null : found.values().iterator().next();
    for (Map.Entry<String, GenotypeSource> f : found.entrySet()) {
      if (!f.getValue().operations().equals(first.operations()) || f.getValue().genotype().nodes() != first.genotype().nodes()) {
        throw new IllegalArgumentException("the found genotypes must share one search space; " + f.getKey() + " does not");
      }
    }
    List<Operation> operations = first != null ? first.operations() : spaceOperations();
    int nodes = first != null ? first.genotype().nodes() : spaceNodes == null ? 3 : spaceNodes;
    if (nodes < 1 || nodes > 8) {
      throw new IllegalArgumentException("--nodes must be between 1 and 8, got " + nodes);
    }
    for (int i = 0; i < genotypeFiles.size(); i++) {
      report.inputFile(genotypeFiles.size() == 1 ? "genotype" : "genotype " + (i + 1), genotypeFiles.get(i));
    }
    GenotypeTrialOptions.Loaded loaded = trial.load(report);
    Map<String, Genotype> genotypes = new LinkedHashMap<>();
    found.forEach((name, source) -> genotypes.put(name, source.genotype()));
    SplittableRandom rng = new SplittableRandom(randomSeed);
    for (int i = 1; i <= randomCount; i++) {
      genotypes.put("random-" + i, Genotype.random(operations, nodes, rng));
    }
    List<GenotypeTrials.Run> runs = new ArrayList<>();
    try (NDManager root = device.newManager()) {
      GenotypeTrials trials = trial.trials(loaded, operations, root);
      System.out.printf(Locale.ROOT, "bench genotypes: %d genotypes x %d seeds, %s%n", genotypes.size(), seeds.size(), trials.describe());
      for (long seed : seeds) {
        // one split per seed, shared by every genotype
        LabelledImages.Split split = trials.split(seed);
        for (Map.Entry<String, Genotype> g : genotypes.entrySet()) {
          GenotypeTrials.Run run = trials.train(g.getKey(), g.getValue(), seed, split);
          runs.add(run);
          System.out.printf(
              Locale.ROOT, "%-9s seed %d: test accuracy %.4f (%,d weights, %.0f s)  %s%n", run.name(), seed, run.testAccuracy(), run.weights(), run.seconds(), run.genotype());
        }
      }
    }
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "genotypes");
    json.put("operations", operations.stream().map(Operation::dartsName).toList());
    json.put("nodes", nodes);
    if (randomCount > 0) {
      double[] randomAcc = runs.stream().filter(r -> !found.containsKey(r.name())).mapToDouble(GenotypeTrials.Run::testAccuracy).toArray();
      System.out.printf(Locale.ROOT, "random: mean %.4f, sd %.4f over %d run(s) (%d genotypes), min %.4f, max %.4f%n",
          PairedStats.mean(randomAcc), sd(randomAcc), randomAcc.length, randomCount, min(randomAcc), max(randomAcc));
      json.put("random_mean", PairedStats.mean(randomAcc));
      json.put("random_sd", sd(randomAcc));
    }
    List<String> randomNames = genotypes.keySet().stream().filter(n -> !found.containsKey(n)).toList();
    GenotypeSpread spread = seeds.size() >= 2 && randomCount >= 2 ? GenotypeSpread.of(bySeed(runs, randomNames, seeds)) : null;
    if (spread != null) {
      System.out.printf(
          Locale.ROOT,
          "spread of the space: random genotypes' means sd %.4f, one run's noise sd %.4f; F %.2f, p %.3g: %s%n",
          spread.betweenSd(), spread.noiseSd(), spread.f(), spread.p(),
          spread.widerThanNoise() ? "the genotypes differ beyond the seeds' noise" : "within the seeds' noise: this space cannot show search value at this budget");
      json.put("spread", spread);
    } else if (randomCount > 0) {
      System.out.println("spread of the space: needs two or more --seeds and --random genotypes");
    }
    List<Map<String, Object>> foundJson = new ArrayList<>();
    for (String name : found.keySet()) {
      double[] foundAcc = bySeed(runs, List.of(name), seeds)[0];
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("name", name);
      f.put("mean", PairedStats.mean(foundAcc));
      f.put("sd", sd(foundAcc));
      System.out.printf(Locale.ROOT, "%s: mean %.4f, sd %.4f over %d run(s)%n", name, PairedStats.mean(foundAcc), sd(foundAcc), foundAcc.length);
      if (spread != null) {
        boolean above = PairedStats.mean(foundAcc) >= spread.bar();
        System.out.printf(
            Locale.ROOT, "%s vs the bar (random mean + one sd of the random means) %.4f: %s%n", name, spread.bar(), above ? "at or above" : "below");
        f.put("reaches_bar", above);
      }
      foundJson.add(f);
    }
    if (found.size() == 1) {
      // the single-genotype keys of earlier versions
      json.put("found_mean", foundJson.get(0).get("mean"));
      json.put("found_sd", foundJson.get(0).get("sd"));
      if (spread != null) {
        json.put("found_reaches_bar", foundJson.get(0).get("reaches_bar"));
      }
    }
    json.put("found", foundJson);
    json.put("found_differences", differences(runs, List.copyOf(found.keySet()), seeds));
    json.put("runs", runs);
    report.finish(new Gson().toJsonTree(json).getAsJsonObject(), null, null);
    return 0;
  }

  /** One pair of found genotypes: the first's test accuracy minus the second's, paired by seed, with its 95% interval. */
  record Difference(String first, String second, PairedStats difference) {}

  /** Every pair of found genotypes compared, paired by seed; printed, and empty below two genotypes or two seeds. */
  private static List<Difference> differences(List<GenotypeTrials.Run> runs, List<String> names, List<Long> seeds) {
    List<Difference> out = new ArrayList<>();
    if (seeds.size() < 2) {
      return out;
    }
    for (int a = 0; a < names.size(); a++) {
      for (int b = a + 1; b < names.size(); b++) {
        PairedStats d = PairedStats.of(bySeed(runs, List.of(names.get(a)), seeds)[0], bySeed(runs, List.of(names.get(b)), seeds)[0]);
        out.add(new Difference(names.get(a), names.get(b), d));
        System.out.printf(
            Locale.ROOT, "%s - %s: %+.4f [%+.4f, %+.4f] (95%%, paired by seed, %d seeds)%n", names.get(a), names.get(b), d.mean(), d.low(), d.high(), d.n());
      }
    }
    return out;
  }

  /**
   * The --genotype files by name: "found" for one; otherwise the folder that holds a genotype.json
   * (adapt's output directory) or the file's own name, made unique.
   */
  private Map<String, GenotypeSource> readFound() throws java.io.IOException {
    Map<String, GenotypeSource> out = new LinkedHashMap<>();
    for (Path file : genotypeFiles) {
      String name = "found";
      if (genotypeFiles.size() > 1) {
        Path named = file.getFileName().toString().equals("genotype.json") && file.toAbsolutePath().getParent() != null ? file.toAbsolutePath().getParent() : file;
        name = named.getFileName().toString().replaceFirst("\\.(json|txt)$", "");
      }
      if (name.startsWith("random-")) {
        name = "found-" + name;
      }
      String unique = name;
      for (int k = 2; out.containsKey(unique); k++) {
        unique = name + "-" + k;
      }
      out.put(unique, GenotypeSource.read(file));
    }
    return out;
  }

  /** The space of --ops (default: the small profile's operations without none). */
  private List<Operation> spaceOperations() {
    List<Operation> ops =
        spaceOps == null
            ? SupernetSpec.profile("small").operations().stream().filter(o -> o != Operation.NONE).toList()
            : spaceOps.stream().map(Operation::fromDartsName).toList();
    if (ops.isEmpty() || ops.contains(Operation.NONE)) {
      throw new IllegalArgumentException("--ops must name one or more operations other than none, got " + spaceOps);
    }
    return ops;
  }

  /** The named genotypes' test accuracy, [genotype][seed], in the order of {@code names} and the seeds given. */
  private static double[][] bySeed(List<GenotypeTrials.Run> runs, List<String> names, List<Long> seeds) {
    double[][] out = new double[names.size()][seeds.size()];
    for (GenotypeTrials.Run r : runs) {
      int g = names.indexOf(r.name());
      if (g >= 0) {
        out[g][seeds.indexOf(r.seed())] = r.testAccuracy();
      }
    }
    return out;
  }

  /** Sample standard deviation (n - 1); 0 for a single run. */
  private static double sd(double[] v) {
    if (v.length < 2) {
      return 0;
    }
    double m = PairedStats.mean(v);
    double s = 0;
    for (double x : v) {
      s += (x - m) * (x - m);
    }
    return Math.sqrt(s / (v.length - 1));
  }

  private static double min(double[] v) {
    return java.util.Arrays.stream(v).min().orElse(Double.NaN);
  }

  private static double max(double[] v) {
    return java.util.Arrays.stream(v).max().orElse(Double.NaN);
  }
}
