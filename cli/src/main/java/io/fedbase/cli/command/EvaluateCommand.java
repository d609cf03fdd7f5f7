package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import io.fedbase.bundle.AtomicFiles;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.train.DerivedModel;
import io.fedbase.node.train.ModelFiles;
import io.fedbase.node.train.ModelLabels;
import io.fedbase.node.train.Predictions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code evaluate}: a trained model's accuracy, per-class accuracy and confusion matrix on a dataset. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Score a model written by train on a dataset.",
      "Prints accuracy, per-class accuracy and the confusion matrix (rows: true class, columns: predicted),",
      "and one JSON line last; --json also writes that line to a file."
    })
public final class EvaluateCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Option(names = "--model", required = true, description = "A model directory from train (or its model.fbb).")
  Path model;

  @Mixin DataOptions data;

  @Option(names = "--json", description = "Also write the scores as JSON to this file.")
  Path json;

  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    DerivedModel trained = ModelFiles.readModel(model);
    ImageDataset dataset = data.load();
    if (trained.spec().frame().stemFor(dataset.signature()).isEmpty()) {
      throw new IllegalArgumentException(
          "the model takes " + trained.spec().frame().stems().get(0).signature() + " images; " + dataset.source() + " has " + dataset.signature());
    }
    ModelLabels labels = trained.labels();
    LabelledImages images = LabelledImages.of(dataset.withNormalization(labels.normalization()), labels.classes());
    Predictions predictions;
    try (NDManager root = device.newManager()) {
      predictions = Predictions.of(trained, images, root);
    }
    int ways = labels.classes().size();
    double[] perClass = predictions.perClassAccuracy(ways);
    int[][] confusion = predictions.confusion(ways);
    System.out.printf(Locale.ROOT, "%s on %s: accuracy %.4f over %d images%n%n", model, dataset.source(), predictions.accuracy(), images.size());
    System.out.println("per-class accuracy:");
    for (int k = 0; k < ways; k++) {
      System.out.printf(Locale.ROOT, "  %-3d %-14s %s%n", labels.classes().get(k), labels.name(k), Double.isNaN(perClass[k]) ? "no images" : String.format(Locale.ROOT, "%.4f", perClass[k]));
    }
    System.out.println("\nconfusion matrix (rows: true class, columns: predicted):");
    StringBuilder header = new StringBuilder("      ");
    labels.classes().forEach(c -> header.append(String.format(Locale.ROOT, "%6d", c)));
    System.out.println(header);
    for (int k = 0; k < ways; k++) {
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%6d", labels.classes().get(k)));
      for (int j = 0; j < ways; j++) {
        row.append(String.format(Locale.ROOT, "%6d", confusion[k][j]));
      }
      System.out.println(row);
    }
    Map<String, Object> scores = new LinkedHashMap<>();
    scores.put("model", model.toString());
    scores.put("data", dataset.source());
    scores.put("images", images.size());
    scores.put("accuracy", predictions.accuracy());
    scores.put("mean_loss", predictions.meanLoss());
    scores.put("classes", labels.classes());
    Map<String, Object> byClass = new LinkedHashMap<>();
    for (int k = 0; k < ways; k++) {
      byClass.put(Integer.toString(labels.classes().get(k)), Double.isNaN(perClass[k]) ? null : perClass[k]);
    }
    scores.put("per_class_accuracy", byClass);
    scores.put("confusion", confusion);
    String line = new Gson().toJson(scores);
    System.out.println();
    if (json != null) {
      Path parent = json.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      AtomicFiles.writeString(json, line + "\n");
      System.out.println("scores written to " + json + " (the JSON line below)");
    } else {
      System.out.println("scores not saved to a file; add --json FILE to keep the JSON line below");
    }
    System.out.println(line);
    return 0;
  }
}
