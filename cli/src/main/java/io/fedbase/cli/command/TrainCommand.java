package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.cli.CurvePlot;
import io.fedbase.cli.GenotypeSource;
import io.fedbase.cli.OutputDirectory;
import io.fedbase.cli.Progress;
import io.fedbase.cli.ShellWords;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DerivedNetworkOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.cli.option.TrainingOptions;
import io.fedbase.data.ImageDataset;
import io.fedbase.engine.StoppedException;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.node.adapt.CurvePoint;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.train.DerivedTraining;
import io.fedbase.node.train.EpochRecord;
import io.fedbase.node.train.ModelFiles;
import io.fedbase.node.train.ModelLabels;
import io.fedbase.node.train.TrainingCheckpoint;
import io.fedbase.node.train.TrainingConfig;
import io.fedbase.supernet.DerivedNetworkSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: the derived network of a genotype, trained from scratch on the user's data. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train the network of a genotype on your dataset.",
      "The genotype is genotype.json from adapt, or DARTS notation. SGD with momentum and a cosine schedule,",
      "drop-path and cutout, a held-out split scored every epoch. A checkpoint is written after every epoch;",
      "--resume continues an interrupted run. Writes model.fbb (for evaluate), curve.png and report.md."
    })
public final class TrainCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(names = "--genotype", required = true, description = "genotype.json (from adapt) or a DARTS-notation genotype file.")
  Path genotypeFile;

  @Mixin DataOptions data;

  @Mixin DerivedNetworkOptions network;

  @Mixin TrainingOptions training;

  @Option(names = "--holdout", defaultValue = "0.1", description = "Share of each class held out for the per-epoch evaluation (default: ${DEFAULT-VALUE}).")
  double holdout;

  @Option(names = "--max-held-out", defaultValue = "2000", description = "At most this many held-out images (default: ${DEFAULT-VALUE}).")
  int maxHeldOut;

  @Option(names = "--max-per-class", defaultValue = "0", description = "At most this many training images per class; 0 = all (default: ${DEFAULT-VALUE}).")
  int maxPerClass;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the split, initial weights, batch order and augmentation (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin DeviceOption device;

  @Option(names = "--out", required = true, description = "Output directory (model, checkpoint, curve, report).")
  Path out;

  @Option(names = "--resume", description = "Continue the run whose checkpoint is in --out.")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    try (OutputDirectory output = OutputDirectory.of(out)) {
      train(output);
      output.keep();
    }
    return 0;
  }

  private void train(OutputDirectory output) throws Exception {
    GenotypeSource source = GenotypeSource.read(genotypeFile);
    TrainingConfig config = training.config(seed);
    Path checkpointFile = out.resolve(ModelFiles.CHECKPOINT_FILE);
    if (!resume && Files.exists(checkpointFile)) {
      throw new IllegalArgumentException(out + " already holds a training run; pass --resume to continue it, or choose another --out");
    }
    TrainingCheckpoint checkpoint = resume ? ModelFiles.readCheckpoint(out) : null;
    ImageDataset dataset = data.load();
    LabelledImages.Split split =
        LabelledImages.split(dataset, holdout, maxHeldOut, maxPerClass == 0 ? Integer.MAX_VALUE : maxPerClass, seed);
    DerivedNetworkSpec spec = network.spec(source.genotype(), source.operations(), dataset.signature(), dataset.classes().size());
    ModelLabels labels = new ModelLabels(dataset.classes(), classNames(dataset), dataset.normalization(), dataset.source());
    String settings = String.format(Locale.ROOT, "data=%s classes=%s holdout=%s max_held_out=%d max_per_class=%d", dataset.source(), dataset.classes(), holdout, maxHeldOut, maxPerClass);
    DerivedTraining run = new DerivedTraining(spec, labels, config, settings);
    int stepsPerEpoch = run.stepsPerEpoch(split.adapt().size());
    System.out.printf(
        Locale.ROOT,
        "train: %s on %s (%d classes; %d training and %d held-out images); %d cells, C=%d, %,d weights; %d epochs of %d steps%n",
        DartsNotation.format(source.genotype()), dataset.source(), dataset.classes().size(), split.adapt().size(), split.heldOut().size(),
        network.cells, network.channels, spec.parameterCount(), config.epochs(), stepsPerEpoch);
    if (checkpoint != null) {
      System.out.println("resuming after epoch " + checkpoint.epochsDone() + " of " + config.epochs());
    }
    output.create();
    long t0 = System.nanoTime();
    DerivedTraining.Result result;
    try (NDManager root = device.newManager();
        Progress progress = Progress.start("train", (long) config.epochs() * stepsPerEpoch)) {
      double[] lastHeld = {checkpoint == null || checkpoint.history().isEmpty() ? Double.NaN : checkpoint.history().get(checkpoint.history().size() - 1).heldOutAccuracy()};
      int[] epochsSaved = {checkpoint == null ? 0 : checkpoint.epochsDone()};
      try {
        result =
          run.run(
              split,
              checkpoint,
              root,
              new DerivedTraining.Listener() {
                @Override
                public void step(int epoch, int step, int steps, double meanLoss) {
                  progress.update(
                      (long) (epoch - 1) * steps + step,
                      String.format(Locale.ROOT, "epoch %d/%d loss %.3f", epoch, config.epochs(), meanLoss)
                          + (Double.isNaN(lastHeld[0]) ? "" : String.format(Locale.ROOT, " held-out acc %.3f", lastHeld[0])));
                }

                @Override
                public void epochEnd(EpochRecord r, TrainingCheckpoint c) throws IOException {
                  lastHeld[0] = r.heldOutAccuracy();
                  ModelFiles.writeCheckpoint(out, c);
                  // a checkpoint is worth keeping whatever happens next: --resume continues from it
                  output.keep();
                  epochsSaved[0] = c.epochsDone();
                }
              });
      } catch (StoppedException e) {
        throw e.keeping(
            epochsSaved[0] == 0
                ? "no checkpoint (stopped in the first epoch)"
                : "the checkpoint after epoch " + epochsSaved[0] + " in " + out + "; continue with the same command and --resume");
      }
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    ModelFiles.writeModel(out, result.model());
    List<CurvePoint> curve =
        result.history().stream().map(r -> new CurvePoint(r.epoch(), r.trainLoss(), r.heldOutLoss(), r.heldOutAccuracy())).toList();
    CurvePlot.write(out.resolve("curve.png"), "derived network trained on " + dataset.source(), "epoch", curve);
    Files.writeString(out.resolve("report.md"), report(source, dataset, split, spec, config, result.history(), seconds));
    EpochRecord last = result.history().get(result.history().size() - 1);
    System.out.printf(Locale.ROOT, "held-out accuracy %.4f after %d epochs (%.1f s this run)%n", last.heldOutAccuracy(), last.epoch(), seconds);
    System.out.println("written to " + out + ": model.fbb, checkpoint.fbb, curve.png, report.md");
    System.out.println(
        "next: score the model on test data with\n  "
            + ShellWords.fedbaseCommand(
                List.of("evaluate", "--model", out.toString(), "--data", testDataFor(data.data)), data.classes == null ? List.of() : List.of("--classes", data.classes)));
  }

  /** The test split of a dataset with a known one, else a placeholder for the user's test data. */
  static String testDataFor(String trainData) {
    if (trainData.equals("fashion-mnist")) {
      return "fashion-mnist:test";
    }
    if (trainData.startsWith("cifar:") && !trainData.endsWith(":test")) {
      return trainData + ":test";
    }
    return "TEST-DATA";
  }

  public static List<String> classNames(ImageDataset dataset) {
    List<String> all = dataset.classNames();
    if (all.isEmpty()) {
      return List.of();
    }
    return dataset.classes().stream().map(c -> c < all.size() ? all.get(c) : Integer.toString(c)).toList();
  }

  private String report(
      GenotypeSource source, ImageDataset dataset, LabelledImages.Split split, DerivedNetworkSpec spec, TrainingConfig config, List<EpochRecord> history, double seconds) {
    StringBuilder sb = new StringBuilder("# Training report\n\n");
    sb.append("- genotype: `").append(DartsNotation.format(source.genotype())).append("` (from `").append(genotypeFile).append("`)\n");
    sb.append(String.format(Locale.ROOT, "- network: %d cells, C=%d, %,d weights; stem for %s%n", network.cells, network.channels, spec.parameterCount(), spec.frame().stems().get(0).describe()));
    sb.append("- data: ").append(dataset.source()).append(", classes ").append(dataset.classes()).append('\n');
    sb.append(String.format(Locale.ROOT, "- images: %d for training, %d held out (stratified, seed %d)%n", split.adapt().size(), split.heldOut().size(), seed));
    sb.append("- recipe: ").append(config.fingerprint()).append('\n');
    sb.append(String.format(Locale.ROOT, "- time of this run: %.1f s%n", seconds));
    sb.append("\n| epoch | train loss | train acc | held-out loss | held-out acc | lr | s |\n|---|---|---|---|---|---|---|\n");
    for (EpochRecord r : history) {
      sb.append(String.format(Locale.ROOT, "| %d | %.4f | %.4f | %.4f | %.4f | %.5f | %.1f |%n", r.epoch(), r.trainLoss(), r.trainAccuracy(), r.heldOutLoss(), r.heldOutAccuracy(), r.learningRate(), r.seconds()));
    }
    sb.append("\nTrain loss and accuracy are the minibatches' (with drop-path and cutout); held-out figures use the BN running statistics, as `evaluate` does.\n");
    return sb.toString();
  }
}
