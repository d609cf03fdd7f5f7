package io.fedbase.cli.bench;

import ai.djl.ndarray.NDManager;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DerivedNetworkOptions;
import io.fedbase.cli.option.TrainingOptions;
import io.fedbase.data.ImageDataset;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.space.Operation;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How the genotype benchmarks train a genotype alone and score it: data, test data, network, recipe and data budget. */
public final class GenotypeTrialOptions {

  @Mixin DataOptions data;

  @Option(names = "--test-data", required = true, description = "Dataset the genotypes are scored on (same classes).")
  String testData;

  @Mixin DerivedNetworkOptions network;

  @Mixin TrainingOptions training;

  @Option(names = "--max-per-class", defaultValue = "0", description = "At most this many training images per class; 0 = all (default: ${DEFAULT-VALUE}).")
  int maxPerClass;

  /** The training data and the test set labelled by its classes. */
  record Loaded(ImageDataset train, LabelledImages test) {}

  /** Loads both datasets (the test set normalised like the training data) and records them in {@code report}. */
  Loaded load(BenchReport report) {
    report.inputData("training data", data.data, data.classes).inputData("test data", testData, data.classes);
    ImageDataset train = data.load();
    ImageDataset test = DataOptions.load(testData, data.classes).withNormalization(train.normalization());
    return new Loaded(train, LabelledImages.of(test, train.classes()));
  }

  /** Trials of genotypes over {@code operations}, training under {@code root}. */
  GenotypeTrials trials(Loaded loaded, List<Operation> operations, NDManager root) {
    return new GenotypeTrials(network, training, loaded.train(), loaded.test(), operations, maxPerClass, root);
  }
}
