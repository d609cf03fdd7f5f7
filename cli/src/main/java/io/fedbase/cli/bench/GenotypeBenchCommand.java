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
 * {@code bench genotypes}: a found genotype against genotypes drawn uniformly from its search
 * space, each trained with the same recipe, budget and seeds and scored on a test set, and how far
 * the random genotypes spread beyond the seeds' noise ({@link GenotypeSpread}). Without a found
 * genotype it measures the spread of a space alone.
 */
@Command(
    name = "genotypes",
    mixinStandardHelpOptions = true,
    description = {
      "A found genotype against random ones of the same space: test accuracy after training.",
      "Trains the derived network of --genotype and of --random genotypes sampled uniformly from the same",
      "search space (same shape, budget and seeds) and compares their test accuracy (mean and spread).",
      "With two or more seeds it also tests whether the random genotypes differ by more than the seeds' noise",
      "(the space's spread); without --genotype it measures only that, in the space of --ops and --nodes."
    })
public final class GenotypeBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(names = "--genotype", description = "The found genotype (genotype.json or DARTS notation); without it, only random ones.")
  Path genotypeFile;

  @Option(
      names = "--ops",
      split = ",",
      description = "Without --genotype: the space's operations, DARTS names (default: the small profile's, max_pool_3x3,skip_connect,sep_conv_3x3,dil_conv_3x3).")
  List<String> spaceOps;

  @Option(names = "--nodes", description = "Without --genotype: intermediate nodes per cell (default: 3).")
  Integer spaceNodes;


  @Mixin GenotypeTrialOptions trial;

  @Option(names = "--random", defaultValue = "5", description = "Random genotypes to compare against (default: ${DEFAULT-VALUE}).")
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
    if (randomCount < 1) {
      throw new IllegalArgumentException("--random must be at least 1");
    }
    if (seeds.stream().distinct().count() != seeds.size()) {
      throw new IllegalArgumentException("--seeds must not repeat a seed, got " + seeds);
    }
    GenotypeSource found = genotypeFile == null ? null : GenotypeSource.read(genotypeFile);
    if (found != null && (spaceOps != null || spaceNodes != null)) {
      throw new IllegalArgumentException("--ops and --nodes describe the space when there is no --genotype; the found genotype's space is used");
    }
    List<Operation> operations = found != null ? found.operations() : spaceOperations();
    int nodes = found != null ? found.genotype().nodes() : spaceNodes == null ? 3 : spaceNodes;
    if (nodes < 1 || nodes > 8) {
      throw new IllegalArgumentException("--nodes must be between 1 and 8, got " + nodes);
    }
    if (found != null) {
      report.inputFile("genotype", genotypeFile);
    }
    GenotypeTrialOptions.Loaded loaded = trial.load(report);
    Map<String, Genotype> genotypes = new LinkedHashMap<>();
    if (found != null) {
      genotypes.put(FOUND, found.genotype());
    }
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
    double[] randomAcc = runs.stream().filter(r -> !r.name().equals(FOUND)).mapToDouble(GenotypeTrials.Run::testAccuracy).toArray();
    System.out.printf(Locale.ROOT, "random: mean %.4f, sd %.4f over %d run(s) (%d genotypes), min %.4f, max %.4f%n",
        PairedStats.mean(randomAcc), sd(randomAcc), randomAcc.length, randomCount, min(randomAcc), max(randomAcc));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "genotypes");
    json.put("operations", operations.stream().map(Operation::dartsName).toList());
    json.put("nodes", nodes);
    json.put("random_mean", PairedStats.mean(randomAcc));
    json.put("random_sd", sd(randomAcc));
    GenotypeSpread spread = seeds.size() >= 2 && randomCount >= 2 ? GenotypeSpread.of(bySeed(runs, genotypes.keySet(), seeds)) : null;
    if (spread != null) {
      System.out.printf(
          Locale.ROOT,
          "spread of the space: random genotypes' means sd %.4f, one run's noise sd %.4f; F %.2f, p %.3g: %s%n",
          spread.betweenSd(), spread.noiseSd(), spread.f(), spread.p(),
          spread.widerThanNoise() ? "the genotypes differ beyond the seeds' noise" : "within the seeds' noise: this space cannot show search value at this budget");
      json.put("spread", spread);
    } else {
      System.out.println("spread of the space: needs two or more --seeds and --random genotypes");
    }
    if (found != null) {
      double[] foundAcc = runs.stream().filter(r -> r.name().equals(FOUND)).mapToDouble(GenotypeTrials.Run::testAccuracy).toArray();
      System.out.printf(Locale.ROOT, "found:  mean %.4f, sd %.4f over %d run(s)%n", PairedStats.mean(foundAcc), sd(foundAcc), foundAcc.length);
      json.put("found_mean", PairedStats.mean(foundAcc));
      json.put("found_sd", sd(foundAcc));
      if (spread != null) {
        boolean above = PairedStats.mean(foundAcc) >= spread.bar();
        System.out.printf(
            Locale.ROOT, "found vs the bar (random mean + one sd of the random means) %.4f: %s%n", spread.bar(), above ? "at or above" : "below");
        json.put("found_reaches_bar", above);
      }
    }
    json.put("runs", runs);
    report.finish(new Gson().toJsonTree(json).getAsJsonObject(), null, null);
    return 0;
  }

  private static final String FOUND = "found";

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

  /** The random genotypes' test accuracy, [genotype][seed], in the order they were drawn and the seeds given. */
  private static double[][] bySeed(List<GenotypeTrials.Run> runs, java.util.Set<String> names, List<Long> seeds) {
    List<String> random = names.stream().filter(n -> !n.equals(FOUND)).toList();
    double[][] out = new double[random.size()][seeds.size()];
    for (GenotypeTrials.Run r : runs) {
      int g = random.indexOf(r.name());
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
