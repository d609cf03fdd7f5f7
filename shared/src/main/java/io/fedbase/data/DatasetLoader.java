package io.fedbase.data;

import java.nio.file.Files;

/**
 * Loads a {@link DatasetSpec}, choosing the reader by format and the normalisation: the published
 * statistics for Fashion-MNIST and CIFAR-10, statistics of the loaded images otherwise.
 */
public final class DatasetLoader {

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
    if (spec.isFashionMnist()) {
      norm = Normalization.FASHION_MNIST;
    } else if (spec.format() == DatasetSpec.Format.CIFAR) {
      norm = Normalization.CIFAR10;
    } else {
      norm = Normalization.fromPixels(raw.pixels(), raw.signature().channels(), raw.signature().size());
    }
    return new ImageDataset(spec.text(), raw.signature(), raw.pixels(), raw.labels(), norm, raw.classNames());
  }
}
