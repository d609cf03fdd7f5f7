package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.learn.Evaluation;
import io.fedbase.learn.PairedStats;
import io.fedbase.learn.SupernetProbe;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
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
 * {@code bench ranking}: does the adapted supernet rank architectures as training them alone does?
 * Kendall's tau between the supernet's score of sampled genotypes (their operations switched on
 * alone inside it) and their test accuracy when trained alone, the standard check of a
 * weight-sharing search (Yu et al. 2020).
 */
@Command(
    name = "ranking",
    mixinStandardHelpOptions = true,
    description = {
      "Kendall's tau: an adapted supernet's ranking of random genotypes against training them alone.",
      "Scores --genotypes random genotypes of the supernet's space inside --adapted (adapt's adapted.fbb) on",
      "--probe-images images of --test-data, trains each alone with one recipe (its mean over --seeds), and reports tau and",
      "Spearman's rho with 95% bootstrap intervals (genotypes resampled)."
    })
public final class RankingBenchCommand implements Callable<Integer> {

  private static final int BOOTSTRAP = 2000;

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(names = "--adapted", required = true, description = "The adapted supernet: adapt's adapted.fbb (it names its supernet).")
  Path adaptedFile;


  @Mixin GenotypeTrialOptions trial;

  @Option(names = "--genotypes", defaultValue = "20", description = "Random genotypes to rank (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--random-seed", defaultValue = "0", description = "Seed of the random genotypes and the bootstrap (default: ${DEFAULT-VALUE}).")
  long randomSeed;

  @Option(
      names = "--seeds",
      split = ",",
      defaultValue = "1",
      description = "Training seeds, each used for every genotype; a genotype's accuracy is its mean over them (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--probe-images", defaultValue = "1000", description = "Test images the supernet scores genotypes on (default: ${DEFAULT-VALUE}).")
  int probeImages;


  @Mixin DeviceOption device;

  @Spec CommandSpec command;

  /** One genotype: its score inside the supernet and trained alone (the mean over the seeds, and each seed's). */
  record Ranked(String name, String genotype, double supernetAccuracy, double supernetLoss, double trainedAccuracy, double[] trainedBySeed) {}

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (count < 3) {
      throw new IllegalArgumentException("--genotypes must be at least 3, got " + count);
    }
    if (seeds.isEmpty() || seeds.stream().distinct().count() != seeds.size()) {
      throw new IllegalArgumentException("--seeds must name one or more distinct seeds, got " + seeds);
    }
    if (probeImages < 10) {
      throw new IllegalArgumentException("--probe-images must be at least 10, got " + probeImages);
    }
    StoredBundle stored = BundleFiles.read(adaptedFile);
    SupernetSpec spec =
        stored.spec().orElseThrow(() -> new IllegalArgumentException(adaptedFile + " does not name its supernet; use the adapted.fbb that adapt writes"));
    report.inputFile("adapted supernet", adaptedFile);
    GenotypeTrialOptions.Loaded loaded = trial.load(report);
    if (loaded.train().classes().size() != spec.ways()) {
      throw new IllegalArgumentException(
          "the adapted supernet classifies " + spec.ways() + " classes, --data has " + loaded.train().classes().size() + "; use the classes it was adapted to");
    }
    LabelledImages probe = loaded.test().range(0, Math.min(probeImages, loaded.test().size()));
    List<Operation> operations = spec.operations().stream().filter(o -> o != Operation.NONE).toList();
    SplittableRandom rng = new SplittableRandom(randomSeed);
    Map<String, Genotype> genotypes = new LinkedHashMap<>();
    for (int i = 1; i <= count; i++) {
      genotypes.put("random-" + i, Genotype.random(operations, spec.nodes(), rng));
    }
    List<Ranked> ranked = new ArrayList<>();
    try (NDManager root = device.newManager()) {
      Map<String, Evaluation> scores = new LinkedHashMap<>();
      try (SupernetProbe supernet =
          new SupernetProbe(new Supernet(spec), stored.bundle(), probe.images(), probe.labels(), probe.signature(), spec.ways(), 250, root)) {
        for (Map.Entry<String, Genotype> g : genotypes.entrySet()) {
          scores.put(g.getKey(), supernet.score(g.getValue()));
        }
      }
      GenotypeTrials trials = trial.trials(loaded, spec.operations(), root);
      System.out.printf(
          Locale.ROOT, "bench ranking: %d genotypes scored in the supernet on %d images, then trained alone with %d seed(s): %s%n", count, probe.size(),
          seeds.size(), trials.describe());
      Map<String, double[]> trained = new LinkedHashMap<>();
      for (int k = 0; k < seeds.size(); k++) {
        long seed = seeds.get(k);
        // one split per seed, shared by every genotype
        LabelledImages.Split split = trials.split(seed);
        for (Map.Entry<String, Genotype> g : genotypes.entrySet()) {
          GenotypeTrials.Run run = trials.train(g.getKey(), g.getValue(), seed, split);
          trained.computeIfAbsent(g.getKey(), n -> new double[seeds.size()])[k] = run.testAccuracy();
          System.out.printf(
              Locale.ROOT, "%-10s seed %d: supernet %.4f, trained alone %.4f (%.0f s)  %s%n", g.getKey(), seed, scores.get(g.getKey()).accuracy(),
              run.testAccuracy(), run.seconds(), run.genotype());
        }
      }
      for (Map.Entry<String, Genotype> g : genotypes.entrySet()) {
        Evaluation s = scores.get(g.getKey());
        double[] bySeed = trained.get(g.getKey());
        ranked.add(new Ranked(g.getKey(), DartsNotation.format(g.getValue()), s.accuracy(), s.loss(), PairedStats.mean(bySeed), bySeed));
      }
    }
    double[] proxy = ranked.stream().mapToDouble(Ranked::supernetAccuracy).toArray();
    double[] truth = ranked.stream().mapToDouble(Ranked::trainedAccuracy).toArray();
    RankAgreement tau = RankAgreement.kendall(proxy, truth, BOOTSTRAP, randomSeed);
    RankAgreement rho = RankAgreement.spearman(proxy, truth, BOOTSTRAP, randomSeed);
    System.out.printf(Locale.ROOT, "Kendall's tau %.3f [%.3f, %.3f], Spearman's rho %.3f [%.3f, %.3f] (95%% bootstrap, %d genotypes)%n",
        tau.value(), tau.low(), tau.high(), rho.value(), rho.low(), rho.high(), count);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "ranking");
    json.put("kendall_tau", tau);
    json.put("spearman_rho", rho);
    json.put("genotypes", ranked);
    report.finish(new Gson().toJsonTree(json).getAsJsonObject(), null, null);
    return 0;
  }
}
