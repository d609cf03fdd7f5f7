package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DoubleFold;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.encoding.DeltaDecoder;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.encoding.DeltaFormatException;
import io.fedbase.space.Digests;
import io.fedbase.space.TensorSpec;
import io.fedbase.wire.WireText;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Receives one upload's payload chunk by chunk: decodes it to float32 as it arrives, checks every
 * value (finite, no more than the model holds), hashes the bytes as sent, and spools the floats to
 * a staging file, so memory per upload is one chunk whatever the model size or encoding. Only a complete upload whose SHA-256 matches becomes
 * a {@link StagedUpdate}; anything else is refused and its file deleted.
 */
public final class UpdateReceiver implements AutoCloseable {

  private final UpdateHeaderFields header;
  private final BundleLayout layout;
  private final Path file;
  private final FileChannel channel;
  private final MessageDigest digest = Digests.sha256();
  private final int expectedValues;
  private final long expectedBytes;
  private final DeltaDecoder decoder;
  private long receivedBytes;
  private final float[] scratch = new float[8192];
  private final DoubleFold fold = DoubleFold.fastest();
  private int received;
  private int tensor;
  private double weightSquares;
  private double logitSquares;
  private boolean done;

  /** Opens a staging file in {@code stagingDir} for {@code header}'s payload. */
  public UpdateReceiver(UpdateHeaderFields header, BundleLayout layout, Path stagingDir) throws UpdateRejectedException {
    this.header = header;
    this.layout = layout;
    this.expectedValues = layout.totalSize();
    DeltaEncoding encoding = header.encoding().orElseThrow(() -> new UpdateRejectedException(Reason.WRONG_SHAPE, "unsupported update encoding"));
    this.expectedBytes = encoding.payloadBytes(layout);
    this.decoder = new DeltaDecoder(encoding, layout);
    try {
      Files.createDirectories(stagingDir);
      this.file = Files.createTempFile(stagingDir, "round-" + header.round() + "-" + header.nodeId() + "-", ".part");
      this.channel = FileChannel.open(file, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UpdateRejectedException(Reason.UNAVAILABLE, "cannot stage the upload: " + e.getMessage());
    }
  }

  /** Decodes, checks, hashes and spools one chunk of payload bytes. */
  public void accept(ByteBuffer chunk) throws UpdateRejectedException {
    if (done) {
      throw new UpdateRejectedException(Reason.MALFORMED, "payload chunk after the trailer");
    }
    int length = chunk.remaining();
    if (receivedBytes + length > expectedBytes) {
      throw fail(Reason.OVERSIZED, "payload exceeds the model's " + expectedBytes + " bytes in " + decoder.encoding());
    }
    ByteBuffer floats;
    try {
      floats = decoder.decode(chunk);
    } catch (DeltaFormatException e) {
      throw fail(Reason.MALFORMED, e.getMessage());
    }
    int count = floats.remaining() / Float.BYTES;
    if (!decoder.encoding().masked()) {
      // masked ring values are uniform noise one by one: nothing to check or measure
      scan(floats.asFloatBuffer(), count);
    }
    digest.update(chunk.duplicate());
    try {
      while (floats.hasRemaining()) {
        channel.write(floats);
      }
    } catch (IOException e) {
      throw fail(Reason.UNAVAILABLE, "cannot stage the upload: " + e.getMessage());
    }
    receivedBytes += length;
    received += count;
  }

  /**
   * Checks and measures {@code count} values tensor run by tensor run, copied in blocks into a
   * scratch array: a block's sum of squares is finite exactly when its values are, so the values
   * are looked at one by one only to name a bad one.
   */
  private void scan(FloatBuffer values, int count) throws UpdateRejectedException {
    int index = received;
    int end = received + count;
    while (index < end) {
      while (index >= layout.end(tensor)) {
        tensor++;
      }
      TensorSpec spec = layout.tensors().get(tensor);
      int run = Math.min(end, layout.end(tensor)) - index;
      double squares = 0;
      for (int done = 0; done < run; ) {
        int k = Math.min(scratch.length, run - done);
        values.get(scratch, 0, k);
        double block = fold.sumOfSquares(scratch, 0, k);
        if (!Double.isFinite(block)) {
          throw nonFinite(spec, index + done - layout.offset(tensor), k);
        }
        squares += block;
        done += k;
      }
      if (spec.logits()) {
        logitSquares += squares;
      } else {
        weightSquares += squares;
      }
      index += run;
    }
  }

  /** The refusal for the first non-finite value of the scratch block starting at {@code at} in {@code spec}. */
  private UpdateRejectedException nonFinite(TensorSpec spec, int at, int k) {
    for (int i = 0; i < k; i++) {
      if (!Float.isFinite(scratch[i])) {
        return fail(Reason.NON_FINITE, "value " + (at + i) + " of tensor " + spec.name() + " is " + scratch[i]);
      }
    }
    throw new IllegalStateException("a block of finite values had a non-finite sum of squares");
  }

  /** Ends the payload: length and checksum must match. The caller then owns the staged file. */
  public StagedUpdate finish(String sha256Hex) throws UpdateRejectedException {
    if (done) {
      throw new UpdateRejectedException(Reason.MALFORMED, "a second trailer");
    }
    if (receivedBytes != expectedBytes || received != expectedValues) {
      throw fail(Reason.WRONG_SHAPE, "payload ended after " + receivedBytes + " of " + expectedBytes + " bytes");
    }
    String actual = HexFormat.of().formatHex(digest.digest());
    if (!actual.equalsIgnoreCase(sha256Hex)) {
      throw fail(Reason.CHECKSUM_MISMATCH, "payload SHA-256 is " + actual + ", the trailer says " + WireText.field(sha256Hex));
    }
    try {
      // no fsync: staged uploads do not outlive a crash (the coordinator clears them when it starts,
      // the round they belong to is lost either way), so forcing them to disk would buy nothing
      channel.close();
    } catch (IOException e) {
      throw fail(Reason.UNAVAILABLE, "cannot stage the upload: " + e.getMessage());
    }
    done = true;
    return new StagedUpdate(header, file, received, Math.sqrt(weightSquares), Math.sqrt(logitSquares), actual);
  }

  private UpdateRejectedException fail(Reason reason, String message) {
    close();
    return new UpdateRejectedException(reason, message);
  }

  /** Discards an unfinished upload and its file; a no-op once finished. */
  @Override
  public void close() {
    if (done) {
      return;
    }
    done = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // deleting is what matters
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // the staging directory is cleared on start
    }
  }
}
