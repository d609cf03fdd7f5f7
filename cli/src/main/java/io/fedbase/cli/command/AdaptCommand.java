package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.CurvePlot;
import io.fedbase.cli.OutputDirectory;
import io.fedbase.cli.Progress;
import io.fedbase.cli.ShellWords;
import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.genotype.OperationScores;
import io.fedbase.learn.InnerLoop;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.node.adapt.ArchitectureReadout;
import io.fedbase.node.adapt.CurvePoint;
import io.fedbase.node.adapt.DataAdaptation;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.adapt.PriorTransfer;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code adapt}: the posterior of a prior on the user's own dataset, and the architecture it implies. */
@Command(
    name = "adapt",
    mixinStandardHelpOptions = true,
    description = {
      "Adapt a prior to your dataset and read off the architecture it implies.",
      "The prior is a file or the newest one of a coordinator. Adam steps on minibatches of your data with",
      "sampled architectures, a held-out split evaluated along the way. Writes the adapted bundle,",
      "genotype.json (both read-out rules, logits, softmax, --readout scores), genotype.txt, curve.png and report.md."
    })
public final class AdaptCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  static final class Source {
    @Option(names = "--prior", required = true, description = "A prior bundle file.")
    Path prior;

    @Option(names = "--coordinator", required = true, description = "HOST:PORT of a coordinator to fetch the newest prior from.")
    String coordinator;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Mixin DataOptions data;

  @Option(names = "--steps", defaultValue = "200", description = "Adaptation steps (default: ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--batch", defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--eval-every", defaultValue = "20", description = "Evaluate the held-out split every N steps (default: ${DEFAULT-VALUE}).")
  int evalEvery;

  @Option(names = "--holdout", defaultValue = "0.2", description = "Share of each class held out (default: ${DEFAULT-VALUE}).")
  double holdout;

  @Option(names = "--max-held-out", defaultValue = "1000", description = "At most this many held-out images (default: ${DEFAULT-VALUE}).")
  int maxHeldOut;

  @Option(names = "--max-per-class", defaultValue = "2000", description = "At most this many adaptation images per class (default: ${DEFAULT-VALUE}).")
  int maxPerClass;

  @Option(names = "--lr", defaultValue = "5e-3", description = "Adam learning rate of the weights (default: ${DEFAULT-VALUE}).")
  float lr;

  @Option(names = "--logit-lr", defaultValue = "5e-3", description = "Adam learning rate of the logits (default: ${DEFAULT-VALUE}).")
  float logitLr;

  @Option(names = "--logit-weight-decay", defaultValue = "1e-3", description = "Weight decay of the logits (default: ${DEFAULT-VALUE}).")
  float logitWeightDecay;

  @Option(
      names = "--logit-beta-decay",
      defaultValue = "0",
      description = "Weight of beta-decay on the logits, against one operation taking over the cells; 0 = off (default: ${DEFAULT-VALUE}).")
  float logitBetaDecay;

  @Option(names = "--tau", defaultValue = "0.3", description = "Gumbel temperature (default: ${DEFAULT-VALUE}, the end of meta-training).")
  float tau;

  @Option(names = "--relaxation", defaultValue = "gumbel", description = "gumbel, softmax or gumbel-hard (default: ${DEFAULT-VALUE}).")
  String relaxation;

  @Option(
      names = "--readout",
      defaultValue = "logits",
      description =
          "What the genotype is read off: logits (their softmax) or perturbation (each operation's held-out accuracy drop when"
              + " it alone is removed, DARTS-PT; under 1 s per edge and operation on 2 CPU cores) (default: ${DEFAULT-VALUE}).")
  String readout;

  @Option(names = "--out", required = true, description = "Output directory.")
  Path out;

  @Mixin ClientTlsOptions tls;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the split, batches and Gumbel noise (default: ${DEFAULT-VALUE}).")
  long seed;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    try (OutputDirectory output = OutputDirectory.of(out)) {
      // every input is checked before anything is written; a coordinator's prior is fetched last
      ArchitectureReadout readoutMethod = ArchitectureReadout.byName(readout);
      StoredBundle given = source.prior == null ? null : BundleFiles.read(source.prior);
      ImageDataset dataset = data.load();
      Path priorFile = source.prior != null ? source.prior : fetch(source.coordinator, output.create());
      adapt(priorFile, given != null ? given : BundleFiles.read(priorFile), dataset, readoutMethod, output);
      output.keep();
    }
    return 0;
  }

  private void adapt(Path priorFile, StoredBundle stored, ImageDataset dataset, ArchitectureReadout readoutMethod, OutputDirectory output) throws Exception {
    SupernetSpec priorSpec =
        stored.spec().orElseThrow(() -> new IllegalArgumentException(priorFile + " does not carry its model spec; re-export it with this fedbase version"));
    LabelledImages.Split split = LabelledImages.split(dataset, holdout, maxHeldOut, maxPerClass, seed);
    PriorTransfer transfer = PriorTransfer.of(priorSpec, stored.bundle(), dataset.signature(), dataset.classes().size(), seed);
    transfer.notes().forEach(n -> System.out.println("note: " + n));
    System.out.printf(
        "adapt: %s to %s (%d classes; %d adaptation and %d held-out images), %d steps of %d%n",
        priorFile, dataset.source(), dataset.classes().size(), split.adapt().size(), split.heldOut().size(), steps, batch);
    InnerLoopConfig config =
        InnerLoopConfig.builder()
            .optSteps(steps)
            .optLearningRates(lr, logitLr)
            .optLogitWeightDecay(logitWeightDecay)
            .optLogitBetaDecay(logitBetaDecay)
            .optRelaxation(Relaxation.fromKey(relaxation))
            .build();
    long t0 = System.nanoTime();
    DataAdaptation.Result result;
    try (NDManager root = device.newManager();
        Progress progress = Progress.start("adapt", steps)) {
      double[] lastHeld = {Double.NaN};
      result =
          new DataAdaptation(new InnerLoop(new Supernet(transfer.spec()), config, root))
              .run(
                  transfer.start(),
                  split,
                  steps,
                  batch,
                  evalEvery,
                  tau,
                  seed,
                  (p, total) -> {
                    if (!Double.isNaN(p.heldOutAccuracy())) {
                      lastHeld[0] = p.heldOutAccuracy();
                    }
                    progress.update(
                        p.step(),
                        String.format(Locale.ROOT, "loss %.3f", p.trainLoss())
                            + (Double.isNaN(lastHeld[0]) ? "" : String.format(Locale.ROOT, " held-out acc %.3f", lastHeld[0])));
                  });
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    SupernetSpec spec = transfer.spec();
    ArchitectureLogits logits = ArchitectureLogits.of(result.adapted(), spec.operations(), spec.nodes());
    OperationScores scores = readOut(readoutMethod, new Supernet(spec), result.adapted(), logits, split.heldOut());
    String base = DartsNotation.format(GenotypeRule.BASE.derive(scores));
    String darts = DartsNotation.format(GenotypeRule.DARTS.derive(scores));
    output.create();
    BundleFiles.write(out.resolve("adapted.fbb"), StoredBundle.parameters(result.adapted(), spec, Map.of("source", priorFile.toString(), "steps", Integer.toString(steps))));
    GenotypeJson.write(
        out.resolve("genotype.json"), logits, scores, GenotypeRule.BASE, Map.of("prior", priorFile.toString(), "data", dataset.source()));
    Files.writeString(out.resolve("genotype.txt"), base + "\n");
    CurvePlot.write(out.resolve("curve.png"), "adaptation to " + dataset.source(), result.curve());
    Files.writeString(out.resolve("report.md"), report(priorFile, dataset, split, transfer, result, seconds, scores, base, darts));
    CurvePoint first = result.curve().get(0);
    CurvePoint last = result.last();
    System.out.printf(
        Locale.ROOT, "held-out accuracy %.3f -> %.3f after %d steps (%.1f s)%n", first.heldOutAccuracy(), last.heldOutAccuracy(), steps, seconds);
    System.out.println("genotype (BASE rule, read off the " + scores.source() + "): " + base);
    System.out.println("written to " + out + ": adapted.fbb, genotype.json, genotype.txt, curve.png, report.md");
    System.out.println(
        "next: train the network of this genotype on your data with\n  "
            + ShellWords.fedbaseCommand(
                List.of("train", "--genotype", out.resolve("genotype.json").toString()), data.args(), List.of("--out", out.resolve("model").toString())));
  }

  private OperationScores readOut(ArchitectureReadout method, Supernet supernet, Bundle adapted, ArchitectureLogits logits, LabelledImages heldOut) {
    int scorings = method.scorings(supernet);
    if (scorings == 0) {
      return method.read(supernet, adapted, logits, heldOut, tau, null, done -> {});
    }
    try (NDManager root = device.newManager();
        Progress progress = Progress.start("read-out", scorings)) {
      return method.read(supernet, adapted, logits, heldOut, tau, root, done -> progress.update(done, "perturbation"));
    }
  }

  private Path fetch(String target, Path dir) throws Exception {
    ManagedChannel channel = CoordinatorChannels.open(target, tls);
    Path file = dir.resolve("prior.fbb");
    try {
      long version = new CoordinatorClient(channel).fetchPrior(0, file);
      System.out.println("fetched prior version " + version + " from " + target);
      return file;
    } finally {
      CoordinatorChannels.close(channel);
    }
  }

  private String report(
      Path priorFile,
      ImageDataset dataset,
      LabelledImages.Split split,
      PriorTransfer transfer,
      DataAdaptation.Result r,
      double seconds,
      OperationScores scores,
      String base,
      String darts) {
    StringBuilder sb = new StringBuilder("# Adaptation report\n\n");
    sb.append("- prior: `").append(priorFile).append("`\n");
    sb.append("- data: ").append(dataset.source()).append(", classes ").append(dataset.classes()).append('\n');
    sb.append(String.format(Locale.ROOT, "- images: %d for adaptation, %d held out (stratified, seed %d)%n", split.adapt().size(), split.heldOut().size(), seed));
    sb.append(String.format(Locale.ROOT, "- %d steps of %d images, Adam lr %s (weights) / %s (logits), tau %.2f, %s relaxation%n", steps, batch, lr, logitLr, tau, relaxation));
    sb.append(String.format(Locale.ROOT, "- time: %.1f s%n", seconds));
    for (String n : transfer.notes()) {
      sb.append("- note: ").append(n).append('\n');
    }
    sb.append("\n| step | minibatch loss | held-out loss | held-out accuracy |\n|---|---|---|---|\n");
    for (CurvePoint p : r.curve()) {
      if (!Double.isNaN(p.heldOutAccuracy())) {
        sb.append(String.format(Locale.ROOT, "| %d | %s | %.3f | %.3f |%n", p.step(), Double.isNaN(p.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.3f", p.trainLoss()), p.heldOutLoss(), p.heldOutAccuracy()));
      }
    }
    sb.append("\n## Architecture\n\nRead off the ").append(scores.source()).append(".\n\nBASE rule (used by `train`): `").append(base).append("`\n\nDARTS rule: `").append(darts).append("`\n\n");
    sb.append("Held-out accuracy is the supernet's, with edge weights softmax(alpha/tau); the derived network is trained by `fedbase train`.\n");
    return sb.toString();
  }
}
