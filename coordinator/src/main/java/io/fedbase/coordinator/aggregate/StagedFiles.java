package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** Reading and keeping staged upload files, for the aggregators that fold them in later. */
final class StagedFiles {

  private StagedFiles() {}

  /**
   * Takes a staging file over without copying it: renamed beside itself (same directory, so the
   * same file system, and the coordinator clears that directory when it starts).
   */
  static Path keep(Path file) throws IOException {
    Path kept = file.resolveSibling(file.getFileName() + ".kept");
    Files.move(file, kept, StandardCopyOption.ATOMIC_MOVE);
    return kept;
  }

  /** Deletes kept files, leaving any that cannot be deleted to the coordinator's start-up sweep. */
  static void deleteQuietly(List<Path> files) {
    for (Path file : files) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // the coordinator clears the staging directory when it starts
      }
    }
  }

  /** The logit part of a staged upload, in layout order, times {@code scale}. */
  static float[] readLogits(BundleLayout layout, Path file, float scale) throws IOException {
    int count = 0;
    for (int t = 0; t < layout.tensors().size(); t++) {
      if (layout.tensors().get(t).logits()) {
        count += layout.end(t) - layout.offset(t);
      }
    }
    float[] logits = new float[count];
    int k = 0;
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int t = 0; t < layout.tensors().size(); t++) {
        if (!layout.tensors().get(t).logits()) {
          continue;
        }
        int n = layout.end(t) - layout.offset(t);
        ByteBuffer bytes = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(in, bytes, (long) layout.offset(t) * Float.BYTES, file);
        bytes.flip();
        bytes.asFloatBuffer().get(logits, k, n);
        k += n;
      }
    }
    for (int i = 0; i < logits.length; i++) {
      logits[i] *= scale;
    }
    return logits;
  }

  /** Fills {@code into} from byte {@code position} of the file, failing if the file ends first. */
  static void readFully(FileChannel in, ByteBuffer into, long position, Path file) throws IOException {
    long at = position;
    while (into.hasRemaining()) {
      int n = in.read(into, at);
      if (n < 0) {
        throw new IOException("staged upload " + file.getFileName() + " ends at byte " + at + ", before the model does");
      }
      at += n;
    }
  }

  /** Whether a clip scale can be applied: positive and finite. */
  static boolean validScale(float s) {
    return s > 0 && Float.isFinite(s);
  }
}
