package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
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

  /** Deletes kept uploads, leaving any that cannot be deleted to the coordinator's start-up sweep. */
  static void deleteQuietly(List<KeptUpload> uploads) {
    for (KeptUpload upload : uploads) {
      try {
        Files.deleteIfExists(upload.file());
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

  /** What {@link #readBlocks} hands over. */
  interface BlockVisitor {
    /**
     * Values {@code [from, to)} of upload {@code upload}'s block starting at coordinate {@code
     * start}, at those positions of {@code values}; one tensor run, to be scaled by {@code scale}.
     */
    void run(int upload, int start, FloatBuffer values, int from, int to, float scale);

    /** Every upload's values of the block {@code [start, start + length)} were handed over. */
    default void blockDone(int start, int length) {}
  }

  /**
   * Reads every kept upload back block by block, each block as large as {@code buffer} holds:
   * for each block, upload after upload, tensor run by tensor run with that upload's clip scale.
   * Holds one open file per upload while it reads.
   */
  static void readBlocks(BundleLayout layout, List<KeptUpload> uploads, ByteBuffer buffer, BlockVisitor visitor) throws IOException {
    int block = buffer.capacity() / Float.BYTES;
    int values = layout.totalSize();
    List<FileChannel> channels = new ArrayList<>(uploads.size());
    try {
      for (KeptUpload upload : uploads) {
        channels.add(FileChannel.open(upload.file(), StandardOpenOption.READ));
      }
      int tensor = 0;
      for (int start = 0; start < values; start += block) {
        int b = Math.min(block, values - start);
        while (layout.end(tensor) <= start) {
          tensor++;
        }
        for (int j = 0; j < uploads.size(); j++) {
          buffer.clear().limit(b * Float.BYTES);
          readFully(channels.get(j), buffer, (long) start * Float.BYTES, uploads.get(j).file());
          FloatBuffer floats = buffer.flip().asFloatBuffer();
          for (int i = 0, t = tensor; i < b; t++) {
            int runEnd = Math.min(b, layout.end(t) - start);
            visitor.run(j, start, floats, i, runEnd, uploads.get(j).scale(layout.tensors().get(t).logits()));
            i = runEnd;
          }
        }
        visitor.blockDone(start, b);
      }
    } finally {
      for (FileChannel c : channels) {
        c.close();
      }
    }
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
