package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import io.fedbase.cli.command.TrainCommand;
import io.fedbase.cli.option.DerivedNetworkOptions;
import io.fedbase.cli.option.TrainingOptions;
import io.fedbase.data.ImageDataset;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.train.DerivedTraining;
import io.fedbase.node.train.EpochRecord;
import io.fedbase.node.train.ModelLabels;
import io.fedbase.node.train.Predictions;
import io.fedbase.node.train.TrainingCheckpoint;
import io.fedbase.space.Operation;
import io.fedbase.supernet.DerivedNetworkSpec;
import java.io.IOException;
import java.util.List;

/**
 * Genotypes trained alone, each the same way: the derived network of one recipe and budget,
 * trained from scratch on one split per seed (shared by every genotype), scored on a test set. What
 * the genotype benchmarks measure an architecture by.
 */
final class GenotypeTrials {

  /** One trained network's score. */
  record Run(String name, String genotype, long seed, long weights, double testAccuracy, double heldOutAccuracy, double seconds) {}

  private final DerivedNetworkOptions network;
  private final TrainingOptions training;
  private final ImageDataset train;
  private final LabelledImages test;
  private final List<Operation> operations;
  private final int maxPerClass;
  private final ModelLabels labels;
  private final NDManager root;

  /**
   * @param test the scoring set, labelled like {@code train}'s classes
   * @param maxPerClass training images per class at most; 0 = all
   * @param root parent manager (and so device) of every training; owned by the caller
   */
  GenotypeTrials(
      DerivedNetworkOptions network, TrainingOptions training, ImageDataset train, LabelledImages test, List<Operation> operations, int maxPerClass, NDManager root) {
    this.network = network;
    this.training = training;
    this.train = train;
    this.test = test;
    this.operations = operations;
    this.maxPerClass = maxPerClass;
    this.labels = new ModelLabels(train.classes(), TrainCommand.classNames(train), train.normalization(), train.source());
    this.root = root;
  }

  /** The training split of {@code seed} (2% held out for the per-epoch check). */
  LabelledImages.Split split(long seed) {
    return LabelledImages.split(train, 0.02, 500, maxPerClass == 0 ? Integer.MAX_VALUE : maxPerClass, seed);
  }

  /** Trains {@code genotype} on {@code split} with {@code seed} and scores it on the test set. */
  Run train(String name, Genotype genotype, long seed, LabelledImages.Split split) throws IOException {
    DerivedNetworkSpec spec = network.spec(genotype, operations, train.signature(), train.classes().size());
    long t0 = System.nanoTime();
    DerivedTraining.Result result = new DerivedTraining(spec, labels, training.config(seed), "bench").run(split, null, root, quiet());
    double seconds = (System.nanoTime() - t0) / 1e9;
    double accuracy = Predictions.of(result.model(), test, root).accuracy();
    EpochRecord last = result.history().get(result.history().size() - 1);
    return new Run(name, DartsNotation.format(genotype), seed, spec.parameterCount(), accuracy, last.heldOutAccuracy(), seconds);
  }

  /** The recipe in one line. */
  String describe() {
    return String.format(
        java.util.Locale.ROOT, "%d cells, C=%d, %d epochs of batch %d on %s, scored on %d images", network.cells, network.channels, training.epochs,
        training.batch, train.source(), test.size());
  }

  private static DerivedTraining.Listener quiet() {
    return new DerivedTraining.Listener() {
      @Override
      public void step(int epoch, int step, int stepsPerEpoch, double meanLoss) {}

      @Override
      public void epochEnd(EpochRecord record, TrainingCheckpoint checkpoint) {}
    };
  }
}
