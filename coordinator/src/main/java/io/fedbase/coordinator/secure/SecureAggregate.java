package io.fedbase.coordinator.secure;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.secagg.SecAggException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A secure round's aggregate: each complete staged upload (masked ring values) is folded into the
 * protocol's running sum, which only the unmasking step can turn into a delta. Nothing of a single
 * node is ever visible, so there are no per-node logit deltas for search health.
 */
public final class SecureAggregate implements RoundAggregator {

  private final SecureRound round;
  private final BundleLayout layout;
  private int updates;
  private long tasks;

  public SecureAggregate(SecureRound round, BundleLayout layout) {
    this.round = round;
    this.layout = layout;
  }

  /**
   * Folds the staged masked upload in and deletes its file. Clip scales do not apply: the node
   * clipped before masking, and the coordinator cannot scale what it cannot see. The file is read
   * whole before the protocol state is touched, so the disk is never read under its lock and a
   * read error leaves the sum as it was.
   */
  @Override
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    ByteBuffer masked;
    try (FileChannel in = FileChannel.open(update.file(), StandardOpenOption.READ)) {
      long size = in.size();
      if (size % Integer.BYTES != 0 || size > Integer.MAX_VALUE) {
        throw new IOException("the masked upload of '" + update.header().nodeId() + "' has " + size + " bytes, not whole 32-bit values");
      }
      masked = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
      while (masked.hasRemaining() && in.read(masked) >= 0) {
        // read the whole file
      }
    }
    masked.flip();
    try {
      round.addMaskedInput(update.header().nodeId(), masked.asIntBuffer());
    } catch (SecAggException e) {
      throw new IOException("the masked upload of '" + update.header().nodeId() + "' could not be added: " + e.getMessage(), e);
    }
    updates++;
    tasks += update.header().taskCount();
    Files.deleteIfExists(update.file());
  }

  @Override
  public int updates() {
    return updates;
  }

  @Override
  public long tasks() {
    return tasks;
  }

  @Override
  public List<float[]> logitDeltas() {
    return List.of();
  }

  /** The survivors' mean delta; only after the unmasking step has collected its answers. */
  @Override
  public Bundle result() throws IOException {
    try {
      return round.finish(layout);
    } catch (SecAggException e) {
      throw new IOException("secure aggregation failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    // the protocol state holds the only sum; it is dropped with the round
  }

  @Override
  public String toString() {
    return "secure-sum";
  }
}
