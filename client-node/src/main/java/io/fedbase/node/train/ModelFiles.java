package io.fedbase.node.train;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import com.google.gson.reflect.TypeToken;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleFormatException;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.data.Normalization;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.Genotype;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import io.fedbase.supernet.DerivedNetworkSpec;
import io.fedbase.supernet.RunningStatistics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Models and training checkpoints on disk, each one bundle file (atomic write, checksummed read):
 * the network's weights, then its BN statistics ({@code bn.*}), then for a checkpoint the momentum
 * buffers ({@code momentum/NAME}); the architecture, sizes, labels and normalisation go in the
 * metadata, so a file describes itself completely.
 */
public final class ModelFiles {

  /** Name of the trained model in a model directory. */
  public static final String MODEL_FILE = "model.fbb";
  /** Name of the checkpoint written after every epoch. */
  public static final String CHECKPOINT_FILE = "checkpoint.fbb";

  private static final String MODEL_FORMAT = "fedbase-model/1";
  private static final String CHECKPOINT_FORMAT = "fedbase-checkpoint/1";
  private static final String MOMENTUM = "momentum/";
  private static final Gson GSON = new Gson();

  private ModelFiles() {}

  /** Writes the trained model to {@code dir/model.fbb}. */
  public static void writeModel(Path dir, DerivedModel model) throws IOException {
    Files.createDirectories(dir);
    BundleFiles.write(dir.resolve(MODEL_FILE), compose(model, Map.of(), Map.of("format", MODEL_FORMAT)));
  }

  /** Reads {@code path}: a model directory or a model file. */
  public static DerivedModel readModel(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve(MODEL_FILE) : path;
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no trained model here; `fedbase train --out DIR` writes DIR/" + MODEL_FILE);
    }
    StoredBundle stored = BundleFiles.read(file);
    requireFormat(stored, MODEL_FORMAT, file);
    return decompose(stored, file).model;
  }

  /** Writes the checkpoint to {@code dir/checkpoint.fbb}, replacing the previous one atomically. */
  public static void writeCheckpoint(Path dir, TrainingCheckpoint checkpoint) throws IOException {
    Files.createDirectories(dir);
    Map<String, String> meta = new HashMap<>();
    meta.put("format", CHECKPOINT_FORMAT);
    meta.put("epochs_done", Integer.toString(checkpoint.epochsDone()));
    meta.put("history", GSON.toJson(checkpoint.history()));
    meta.put("settings", checkpoint.fingerprint());
    BundleFiles.write(dir.resolve(CHECKPOINT_FILE), compose(checkpoint.model(), checkpoint.momentum(), meta));
  }

  /** Reads {@code dir/checkpoint.fbb}. */
  public static TrainingCheckpoint readCheckpoint(Path dir) throws IOException {
    Path file = dir.resolve(CHECKPOINT_FILE);
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "nothing to resume: no checkpoint in " + dir);
    }
    StoredBundle stored = BundleFiles.read(file);
    requireFormat(stored, CHECKPOINT_FORMAT, file);
    Parts parts = decompose(stored, file);
    try {
      int epochs = Integer.parseInt(stored.metadata().get("epochs_done"));
      List<EpochRecord> history = GSON.fromJson(stored.metadata().get("history"), new TypeToken<List<EpochRecord>>() {}.getType());
      return new TrainingCheckpoint(parts.model, parts.momentum, epochs, history, stored.metadata().getOrDefault("settings", ""));
    } catch (NumberFormatException | JsonParseException | NullPointerException e) {
      throw new BundleFormatException(file + ": checkpoint metadata is damaged (" + e.getMessage() + ")");
    }
  }

  private static void requireFormat(StoredBundle stored, String format, Path file) throws BundleFormatException {
    String actual = stored.metadata().get("format");
    if (!format.equals(actual)) {
      throw new BundleFormatException(
          file + " is not a " + (format.equals(MODEL_FORMAT) ? "trained model" : "training checkpoint")
              + " (its format is " + (actual == null ? "a parameter bundle" : actual) + ")");
    }
  }

  private static StoredBundle compose(DerivedModel model, Map<String, float[]> momentum, Map<String, String> extra) {
    List<TensorSpec> tensors = new ArrayList<>(model.spec().tensors());
    Bundle statistics = model.statistics();
    tensors.addAll(statistics.layout().tensors());
    Map<String, int[]> shapes = model.spec().tensors().stream().collect(Collectors.toMap(TensorSpec::name, TensorSpec::shape));
    for (String name : momentum.keySet()) {
      int[] shape = shapes.get(name);
      if (shape == null) {
        throw new IllegalArgumentException("momentum buffer for unknown parameter " + name);
      }
      tensors.add(TensorSpec.weight(MOMENTUM + name, shape));
    }
    BundleLayout layout = new BundleLayout(model.spec().hash(), tensors);
    float[] values = new float[layout.totalSize()];
    float[] weights = model.weights().toArray();
    System.arraycopy(weights, 0, values, 0, weights.length);
    float[] stats = statistics.toArray();
    System.arraycopy(stats, 0, values, weights.length, stats.length);
    momentum.forEach((name, v) -> System.arraycopy(v, 0, values, layout.offset(layout.indexOf(MOMENTUM + name)), v.length));
    Map<String, String> meta = new LinkedHashMap<>(extra);
    ModelLabels labels = model.labels();
    meta.put("genotype", DartsNotation.format(model.spec().genotype()));
    meta.put("frame_spec", model.spec().frame().canonicalText());
    meta.put("classes", labels.classes().stream().map(String::valueOf).collect(Collectors.joining(",")));
    meta.put("class_names", GSON.toJson(labels.classNames()));
    meta.put("normalization_mean", floats(labels.normalization().mean()));
    meta.put("normalization_std", floats(labels.normalization().std()));
    meta.put("data", labels.dataSource());
    return StoredBundle.parameters(Bundle.of(layout, values), meta);
  }

  private record Parts(DerivedModel model, Map<String, float[]> momentum) {}

  private static Parts decompose(StoredBundle stored, Path file) throws BundleFormatException {
    Map<String, String> meta = stored.metadata();
    DerivedNetworkSpec spec;
    ModelLabels labels;
    try {
      Genotype genotype = DartsNotation.parse(meta.get("genotype"));
      spec = new DerivedNetworkSpec(genotype, SupernetSpec.parseCanonical(meta.get("frame_spec")));
      List<Integer> classes = Arrays.stream(meta.get("classes").split(",")).map(Integer::valueOf).toList();
      List<String> names = GSON.fromJson(meta.get("class_names"), new TypeToken<List<String>>() {}.getType());
      Normalization normalization = new Normalization(parseFloats(meta.get("normalization_mean")), parseFloats(meta.get("normalization_std")));
      labels = new ModelLabels(classes, names, normalization, meta.getOrDefault("data", "?"));
    } catch (IllegalArgumentException | NullPointerException | JsonParseException e) {
      throw new BundleFormatException(file + ": the model description is damaged or missing (" + e.getMessage() + ")");
    }
    Bundle all = stored.bundle();
    BundleLayout layout = all.layout();
    if (!layout.specHash().equals(spec.hash())) {
      throw new BundleFormatException(file + ": its tensors belong to another network than its description");
    }
    List<TensorSpec> weightTensors = spec.tensors();
    for (int i = 0; i < weightTensors.size(); i++) {
      TensorSpec expected = weightTensors.get(i);
      if (i >= layout.tensors().size()
          || !layout.tensors().get(i).name().equals(expected.name())
          || !Arrays.equals(layout.tensors().get(i).shape(), expected.shape())) {
        throw new BundleFormatException(file + ": tensor " + expected.name() + " is missing or has the wrong shape");
      }
    }
    List<TensorSpec> statTensors = new ArrayList<>();
    Map<String, float[]> momentum = new LinkedHashMap<>();
    for (int i = weightTensors.size(); i < layout.tensors().size(); i++) {
      TensorSpec t = layout.tensors().get(i);
      if (t.name().startsWith(MOMENTUM)) {
        momentum.put(t.name().substring(MOMENTUM.length()), all.tensor(t.name()));
      } else {
        statTensors.add(t);
      }
    }
    Bundle weights = Bundle.of(new BundleLayout(spec.hash(), weightTensors), Arrays.copyOfRange(all.toArray(), 0, layout.offset(weightTensors.size())));
    BundleLayout statLayout = new BundleLayout(RunningStatistics.LAYOUT_HASH, statTensors);
    float[] statValues = new float[statLayout.totalSize()];
    for (int i = 0; i < statTensors.size(); i++) {
      System.arraycopy(all.tensor(statTensors.get(i).name()), 0, statValues, statLayout.offset(i), statTensors.get(i).size());
    }
    Bundle statistics = Bundle.of(statLayout, statValues);
    return new Parts(new DerivedModel(spec, weights, statistics, labels), momentum);
  }

  private static String floats(float[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(i == 0 ? "" : ",").append(v[i]);
    }
    return sb.toString();
  }

  private static float[] parseFloats(String text) {
    String[] parts = text.split(",");
    float[] out = new float[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = Float.parseFloat(parts[i]);
    }
    return out;
  }
}
