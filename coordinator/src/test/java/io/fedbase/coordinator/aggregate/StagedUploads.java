package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.space.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Uploads staged on disk exactly as {@link UpdateReceiver} leaves them, for the aggregator tests. */
final class StagedUploads {

  /**
   * 900 values: tensor sizes that no block size of the tests divides, and a logit tensor in the
   * middle, so blocks straddle weight/logit boundaries and clip scales switch inside a block.
   */
  static final BundleLayout LAYOUT =
      new BundleLayout(
          "test-spec",
          List.of(
              TensorSpec.weight("stem", 13, 37),
              TensorSpec.logits("alpha", 14, 8),
              TensorSpec.weight("cell", 300),
              TensorSpec.weight("head", 7)));

  static final int N = LAYOUT.totalSize();

  private StagedUploads() {}

  /** Writes {@code values} as a float32 little-endian staging file in {@code dir}. */
  static StagedUpdate stage(Path dir, String node, int tasks, float[] values) throws IOException {
    Path file = Files.createTempFile(dir, "round-1-" + node + "-", ".part");
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    Files.write(file, bytes.array());
    double weightSquares = 0;
    double logitSquares = 0;
    for (int t = 0; t < LAYOUT.tensors().size(); t++) {
      for (int i = LAYOUT.offset(t); i < LAYOUT.end(t) && i < values.length; i++) {
        if (LAYOUT.tensors().get(t).logits()) {
          logitSquares += (double) values[i] * values[i];
        } else {
          weightSquares += (double) values[i] * values[i];
        }
      }
    }
    UpdateHeaderFields header =
        new UpdateHeaderFields(1, node, 0, tasks, LAYOUT.specHash(), java.util.Optional.of(io.fedbase.encoding.DeltaEncoding.FLOAT32), (long) values.length * Float.BYTES, 1, 0.5, 0.5);
    return new StagedUpdate(header, file, values.length, Math.sqrt(weightSquares), Math.sqrt(logitSquares), "unchecked");
  }

  /** {@code k} uploads of Gaussian values. */
  static float[][] gaussian(Random random, int k) {
    float[][] uploads = new float[k][N];
    for (float[] u : uploads) {
      for (int i = 0; i < N; i++) {
        u[i] = (float) random.nextGaussian();
      }
    }
    return uploads;
  }

  /** Whether coordinate {@code i} belongs to a logit tensor. */
  static boolean isLogit(int i) {
    for (int t = 0; t < LAYOUT.tensors().size(); t++) {
      if (i >= LAYOUT.offset(t) && i < LAYOUT.end(t)) {
        return LAYOUT.tensors().get(t).logits();
      }
    }
    throw new IllegalArgumentException("no coordinate " + i);
  }

  /** Upload {@code values} as the aggregator should see it after clipping. */
  static float[] clipped(float[] values, float weightScale, float logitScale) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (isLogit(i) ? logitScale : weightScale) * values[i];
    }
    return out;
  }

  /** The logit part of {@code values}, in layout order. */
  static float[] logits(float[] values) {
    float[] out = new float[LAYOUT.end(1) - LAYOUT.offset(1)];
    System.arraycopy(values, LAYOUT.offset(1), out, 0, out.length);
    return out;
  }

  /** Bytes that make {@link BlockPlan#of} choose blocks of {@code block} for {@code k} uploads. */
  static long boundFor(int block, int k) {
    return (long) Float.BYTES * block * (k + 1);
  }
}
