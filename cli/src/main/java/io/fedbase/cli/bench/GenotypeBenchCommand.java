package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import io.fedbase.cli.GenotypeSource;
import io.fedbase.cli.command.TrainCommand;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DerivedNetworkOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.cli.option.TrainingOptions;
import io.fedbase.data.ImageDataset;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.learn.PairedStats;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.train.DerivedTraining;
import io.fedbase.node.train.EpochRecord;
import io.fedbase.node.train.ModelLabels;
import io.fedbase.node.train.Predictions;
import io.fedbase.node.train.TrainingCheckpoint;
import io.fedbase.supernet.DerivedNetworkSpec;
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
 * space, each trained with the same recipe, budget and seeds and scored on a test set.
 */
@Command(
    name = "genotypes",
    mixinStandardHelpOptions = true,
    description = {
      "A found genotype against random ones of the same space: test accuracy after training.",
      "Trains the derived network of --genotype and of --random genotypes sampled uniformly from the same",
      "search space (same shape, budget and seeds) and compares their test accuracy (mean and spread)."
    })
public final class GenotypeBenchCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(names = "--genotype", required = true, description = "The found genotype (genotype.json or DARTS notation).")
  Path genotypeFile;

  @Mixin DataOptions data;

  @Option(names = "--test-data", required = true, description = "Dataset the trained networks are scored on (same classes).")
  String testData;

  @Mixin DerivedNetworkOptions network;

  @Mixin TrainingOptions training;

  @Option(names = "--random", defaultValue = "5", description = "Random genotypes to compare against (default: ${DEFAULT-VALUE}).")
  int randomCount;

  @Option(names = "--random-seed", defaultValue = "0", description = "Seed of the random genotypes (default: ${DEFAULT-VALUE}).")
  long randomSeed;

  @Option(names = "--seeds", split = ",", defaultValue = "1", description = "Training seeds, each used for every genotype (default: ${DEFAULT-VALUE}).")
  List<Long> seeds;

  @Option(names = "--max-per-class", defaultValue = "0", description = "At most this many training images per class; 0 = all (default: ${DEFAULT-VALUE}).")
  int maxPerClass;

  @Mixin DeviceOption device;

  /** One trained network's score. */
  record Run(String name, String genotype, long seed, long weights, double testAccuracy, double heldOutAccuracy, double seconds) {}

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (randomCount < 1) {
      throw new IllegalArgumentException("--random must be at least 1");
    }
    GenotypeSource found = GenotypeSource.read(genotypeFile);
    report.inputFile("genotype", genotypeFile).inputData("training data", data.data, data.classes).inputData("test data", testData, data.classes);
    ImageDataset train = data.load();
    ImageDataset test = DataOptions.load(testData, data.classes).withNormalization(train.normalization());
    LabelledImages testImages = LabelledImages.of(test, train.classes());
    Map<String, Genotype> genotypes = new LinkedHashMap<>();
    genotypes.put("found", found.genotype());
    SplittableRandom rng = new SplittableRandom(randomSeed);
    for (int i = 1; i <= randomCount; i++) {
      genotypes.put("random-" + i, Genotype.random(found.operations(), found.genotype().nodes(), rng));
    }
    ModelLabels labels = new ModelLabels(train.classes(), TrainCommand.classNames(train), train.normalization(), train.source());
    System.out.printf(
        Locale.ROOT, "bench genotypes: %d genotypes x %d seeds, %d cells, C=%d, %d epochs of batch %d on %s, scored on %s (%d images)%n",
        genotypes.size(), seeds.size(), network.cells, network.channels, training.epochs, training.batch, train.source(), test.source(), testImages.size());
    List<Run> runs = new ArrayList<>();
    try (NDManager root = device.newManager()) {
      for (long seed : seeds) {
        // one split per seed, shared by every genotype
        LabelledImages.Split split = LabelledImages.split(train, 0.02, 500, maxPerClass == 0 ? Integer.MAX_VALUE : maxPerClass, seed);
        for (Map.Entry<String, Genotype> g : genotypes.entrySet()) {
          DerivedNetworkSpec spec = network.spec(g.getValue(), found.operations(), train.signature(), train.classes().size());
          long t0 = System.nanoTime();
          DerivedTraining.Result result = new DerivedTraining(spec, labels, training.config(seed), "bench").run(split, null, root, quiet());
          double seconds = (System.nanoTime() - t0) / 1e9;
          double accuracy = Predictions.of(result.model(), testImages, root).accuracy();
          EpochRecord last = result.history().get(result.history().size() - 1);
          Run run = new Run(g.getKey(), DartsNotation.format(g.getValue()), seed, spec.parameterCount(), accuracy, last.heldOutAccuracy(), seconds);
          runs.add(run);
          System.out.printf(Locale.ROOT, "%-9s seed %d: test accuracy %.4f (%,d weights, %.0f s)  %s%n", run.name(), seed, accuracy, run.weights(), seconds, run.genotype());
        }
      }
    }
    double[] foundAcc = runs.stream().filter(r -> r.name().equals("found")).mapToDouble(Run::testAccuracy).toArray();
    double[] randomAcc = runs.stream().filter(r -> !r.name().equals("found")).mapToDouble(Run::testAccuracy).toArray();
    System.out.printf(Locale.ROOT, "found:  mean %.4f, sd %.4f over %d run(s)%n", PairedStats.mean(foundAcc), sd(foundAcc), foundAcc.length);
    System.out.printf(Locale.ROOT, "random: mean %.4f, sd %.4f over %d run(s) (%d genotypes), min %.4f, max %.4f%n",
        PairedStats.mean(randomAcc), sd(randomAcc), randomAcc.length, randomCount, min(randomAcc), max(randomAcc));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("bench", "genotypes");
    json.put("found_mean", PairedStats.mean(foundAcc));
    json.put("found_sd", sd(foundAcc));
    json.put("random_mean", PairedStats.mean(randomAcc));
    json.put("random_sd", sd(randomAcc));
    json.put("runs", runs);
    report.finish(new Gson().toJsonTree(json).getAsJsonObject(), null, null);
    return 0;
  }

  private static DerivedTraining.Listener quiet() {
    return new DerivedTraining.Listener() {
      @Override
      public void step(int epoch, int step, int stepsPerEpoch, double meanLoss) {}

      @Override
      public void epochEnd(EpochRecord record, TrainingCheckpoint checkpoint) {}
    };
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
