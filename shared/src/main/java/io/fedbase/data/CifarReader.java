package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CIFAR-10's binary batches: records of one label byte and 3072 pixel bytes (the R, G and B
 * planes of a 32x32 image), which is already CHW.
 */
final class CifarReader {

  static final InputSignature SIGNATURE = new InputSignature(3, 32, 32);
  private static final int RECORD = 1 + 3072;
  static final List<String> CLASS_NAMES =
      List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  private CifarReader() {}

  static RawImages read(Path path, boolean test) {
    List<Path> files = new ArrayList<>();
    if (Files.isRegularFile(path)) {
      files.add(path);
    } else if (Files.isDirectory(path)) {
      if (test) {
        files.add(path.resolve("test_batch.bin"));
      } else {
        for (int i = 1; i <= 5; i++) {
          Path p = path.resolve("data_batch_" + i + ".bin");
          if (Files.isRegularFile(p)) {
            files.add(p);
          }
        }
        if (files.isEmpty()) {
          throw new DataException("no CIFAR-10 training batches (data_batch_1.bin ...) in " + path);
        }
      }
    } else {
      throw new DataException("CIFAR-10 path " + path + " does not exist");
    }
    List<byte[]> contents = new ArrayList<>();
    long records = 0;
    for (Path f : files) {
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(f);
      } catch (IOException e) {
        throw new DataException("cannot read " + f + ": " + e.getMessage(), e);
      }
      if (bytes.length == 0 || bytes.length % RECORD != 0) {
        throw new DataException(
            f + " is truncated or not a CIFAR-10 binary batch: " + bytes.length + " bytes is not a multiple of " + RECORD);
      }
      contents.add(bytes);
      records += bytes.length / RECORD;
    }
    int n = Math.toIntExact(records);
    byte[] pixels = new byte[n * 3072];
    int[] labels = new int[n];
    int i = 0;
    for (int f = 0; f < contents.size(); f++) {
      byte[] bytes = contents.get(f);
      for (int r = 0; r < bytes.length / RECORD; r++, i++) {
        int label = bytes[r * RECORD] & 0xFF;
        if (label > 9) {
          throw new DataException(files.get(f) + " record " + r + " has label " + label + "; CIFAR-10 labels are 0..9");
        }
        labels[i] = label;
        System.arraycopy(bytes, r * RECORD + 1, pixels, i * 3072, 3072);
      }
    }
    return new RawImages(SIGNATURE, pixels, labels, CLASS_NAMES);
  }
}
