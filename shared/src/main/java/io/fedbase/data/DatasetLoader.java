package io.fedbase.data;

import java.nio.file.Files;
import java.util.List;

/**
 * Loads a {@link DatasetSpec}, choosing the reader by format and the normalisation: the published
 * statistics for Fashion-MNIST and CIFAR-10, statistics of the loaded images otherwise.
 */
public final class DatasetLoader {

  /** Fashion-MNIST's class names by label (its IDX files carry none). */
  static final List<String> FASHION_MNIST_CLASSES =
      List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  /** Reads the dataset fully into memory. */
  public ImageDataset load(DatasetSpec spec) {
    if (spec.isFashionMnist() && !Files.isDirectory(spec.path().getParent())) {
      throw new DataException(
          "Fashion-MNIST is not installed at " + spec.path().getParent() + "; run: apt-get install dataset-fashion-mnist");
    }
    RawImages raw =
        switch (spec.format()) {
          case IDX -> IdxReader.read(spec.path());
          case FOLDER -> FolderReader.read(spec.path());
          case CIFAR -> CifarReader.read(spec.path(), spec.testSplit());
        };
    Normalization norm;
    List<String> names = raw.classNames();
    if (spec.isFashionMnist()) {
      norm = Normalization.FASHION_MNIST;
      names = FASHION_MNIST_CLASSES;
    } else if (spec.format() == DatasetSpec.Format.CIFAR) {
      norm = Normalization.CIFAR10;
    } else {
      norm = Normalization.fromPixels(raw.pixels(), raw.signature().channels(), raw.signature().size());
    }
    return new ImageDataset(spec.text(), raw.signature(), raw.pixels(), raw.labels(), norm, names);
  }
}
