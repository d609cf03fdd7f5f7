package io.fedbase.cli.option;

import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --data SPEC} and {@code --classes LIST}. */
public final class DataOptions {

  @Option(
      names = "--data",
      required = true,
      description = "Dataset: idx:PREFIX, folder:DIR, cifar:DIR[:test], fashion-mnist or fashion-mnist:test.")
  public String data;

  @Option(names = "--classes", description = "Classes to use, e.g. 0-5, 6,7,9 or 0-2,5 (default: all).")
  public String classes;

  /** These options as command-line words, for a next step printed to the user. */
  public List<String> args() {
    return classes == null ? List.of("--data", data) : List.of("--data", data, "--classes", classes);
  }

  public ImageDataset load() {
    return load(data, classes);
  }

  /** Loads {@code spec} and keeps {@code classes} (null: all). */
  public static ImageDataset load(String spec, String classes) {
    ImageDataset all = new DatasetLoader().load(DatasetSpec.parse(spec));
    return classes == null ? all : all.select(ClassSelection.parse(classes));
  }
}
