package io.fedbase.coordinator.aggregate;

import static io.fedbase.coordinator.aggregate.StagedUploads.LAYOUT;
import static io.fedbase.coordinator.aggregate.StagedUploads.N;
import static io.fedbase.coordinator.aggregate.StagedUploads.boundFor;
import static io.fedbase.coordinator.aggregate.StagedUploads.clipped;
import static io.fedbase.coordinator.aggregate.StagedUploads.gaussian;
import static io.fedbase.coordinator.aggregate.StagedUploads.logits;
import static io.fedbase.coordinator.aggregate.StagedUploads.stage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The robust rules over uploads kept on disk: equal to a naive in-memory computation whatever the
 * block size, robust to Byzantine uploads, within their memory bound, and leaving no file behind.
 */
class RobustAggregateTest {

  @TempDir Path dir;

  /** Upload counts: one, even, odd, and beyond the sorting threshold of the selection (64). */
  static Stream<Arguments> uploadsAndBlocks() {
    List<Arguments> cases = new ArrayList<>();
    for (int k : new int[] {1, 2, 3, 4, 7, 8, 65, 100}) {
      // 256 (the minimum) and 300 leave a short last block, 450 divides 900, 899 leaves one value, N is one block
      for (int block : new int[] {BlockPlan.MIN_BLOCK, 300, 450, 899, N}) {
        cases.add(Arguments.of(k, block));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "k={0} block={1}")
  @MethodSource("uploadsAndBlocks")
  void medianEqualsNaiveComputation(int k, int block) throws IOException {
    Random random = new Random(31L * k + block);
    float[][] uploads = gaussian(random, k);
    float[][] seen = new float[k][];
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new CoordinateMedian(), boundFor(block, k))) {
      mergeAll(aggregate, uploads, random, seen);
      assertEquals(block, aggregate.plan().blockSize());
      Bundle median = aggregate.result();
      assertArrayEquals(naiveMedian(seen), median.toArray(), "k=" + k + " block=" + block);
      assertEquals(aggregate.plan().bytes(), aggregate.blockBytes(), "the planned block is the one allocated");
    }
  }

  @ParameterizedTest(name = "k={0} block={1}")
  @MethodSource("uploadsAndBlocks")
  void trimmedMeanEqualsNaiveComputation(int k, int block) throws IOException {
    for (double fraction : new double[] {0, 0.1, 0.3, 0.45}) {
      Random random = new Random(17L * k + block);
      float[][] uploads = gaussian(random, k);
      float[][] seen = new float[k][];
      try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new TrimmedMean(fraction), boundFor(block, k))) {
        mergeAll(aggregate, uploads, random, seen);
        assertEquals(block, aggregate.plan().blockSize());
        int cut = (int) Math.floor(fraction * k + 1e-9);
        assertArrayEquals(naiveTrimmedMean(seen, cut), aggregate.result().toArray(), 1e-6f, "k=" + k + " block=" + block + " β=" + fraction);
      }
    }
  }

  /** Merges {@code uploads}, some clipped; {@code seen} receives each as the rule should see it. */
  private void mergeAll(SpillingAggregate aggregate, float[][] uploads, Random random, float[][] seen) throws IOException {
    for (int j = 0; j < uploads.length; j++) {
      float weightScale = j % 3 == 1 ? 0.25f + random.nextFloat() / 2 : 1f;
      float logitScale = j % 4 == 2 ? 0.1f + random.nextFloat() / 2 : 1f;
      aggregate.merge(stage(dir, "node-" + j, 1 + j % 5, uploads[j]), weightScale, logitScale);
      seen[j] = clipped(uploads[j], weightScale, logitScale);
    }
    assertEquals(uploads.length, aggregate.updates());
    for (int j = 0; j < uploads.length; j++) {
      assertArrayEquals(logits(seen[j]), aggregate.logitDeltas().get(j), "logit deltas are clipped as merged");
    }
  }

  private static float[] column(float[][] uploads, int i) {
    float[] c = new float[uploads.length];
    for (int j = 0; j < c.length; j++) {
      c[j] = uploads[j][i];
    }
    Arrays.sort(c);
    return c;
  }

  static float[] naiveMedian(float[][] uploads) {
    float[] out = new float[N];
    for (int i = 0; i < N; i++) {
      float[] c = column(uploads, i);
      int m = c.length / 2;
      out[i] = c.length % 2 == 1 ? c[m] : (float) (((double) c[m - 1] + c[m]) / 2);
    }
    return out;
  }

  static float[] naiveTrimmedMean(float[][] uploads, int cut) {
    float[] out = new float[N];
    for (int i = 0; i < N; i++) {
      float[] c = column(uploads, i);
      double sum = 0;
      for (int j = cut; j < c.length - cut; j++) {
        sum += c[j];
      }
      out[i] = (float) (sum / (c.length - 2 * cut));
    }
    return out;
  }

  @Test
  void robustRulesIgnoreTwoByzantineUploadsOfSevenWhileTheMeanIsDraggedAway() throws IOException {
    Random random = new Random(7);
    float[] center = new float[N];
    for (int i = 0; i < N; i++) {
      center[i] = random.nextFloat() * 2 - 1;
    }
    float[][] uploads = new float[7][N];
    for (int j = 0; j < 5; j++) {
      for (int i = 0; i < N; i++) {
        uploads[j][i] = center[i] + 0.1f * (float) random.nextGaussian();
      }
    }
    Arrays.fill(uploads[5], 1e6f);
    Arrays.fill(uploads[6], 1e6f);

    List<RoundAggregator> aggregators =
        List.of(
            new SpillingAggregate(LAYOUT, new CoordinateMedian(), 1 << 20),
            new SpillingAggregate(LAYOUT, new TrimmedMean(0.3), 1 << 20),
            new RoundAggregate(LAYOUT));
    List<float[]> results = new ArrayList<>();
    for (RoundAggregator aggregate : aggregators) {
      try (aggregate) {
        for (int j = 0; j < uploads.length; j++) {
          // the Byzantine nodes also claim more tasks: the robust rules do not weigh by them
          aggregate.merge(stage(dir, "node-" + j, j < 5 ? 4 : 40, uploads[j]));
        }
        results.add(aggregate.result().toArray());
      }
    }
    for (int i = 0; i < N; i++) {
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < 5; j++) {
        lo = Math.min(lo, uploads[j][i]);
        hi = Math.max(hi, uploads[j][i]);
      }
      for (int r = 0; r < 2; r++) {
        float v = results.get(r)[i];
        assertTrue(v >= lo && v <= hi, aggregators.get(r) + " at " + i + ": " + v + " outside the honest range [" + lo + ", " + hi + "]");
      }
      assertTrue(results.get(2)[i] > 1e5f, "the mean follows the Byzantine uploads at " + i + ": " + results.get(2)[i]);
    }
  }

  @Test
  void theBlockSizeComesFromTheMemoryBound() throws IOException {
    int k = 5;
    float[][] uploads = gaussian(new Random(3), k);
    long bound = boundFor(300, k) + 23;
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new CoordinateMedian(), bound)) {
      for (int j = 0; j < k; j++) {
        aggregate.merge(stage(dir, "node-" + j, 1, uploads[j]));
      }
      BlockPlan plan = aggregate.plan();
      assertEquals(300, plan.blockSize(), "⌊bound / (4·(k + 1))⌋");
      assertEquals(3, plan.blocks());
      assertEquals(0, aggregate.blockBytes(), "nothing allocated before the result");
      aggregate.result();
      assertEquals(plan.bytes(), aggregate.blockBytes());
      assertTrue(aggregate.blockBytes() <= bound, aggregate.blockBytes() + " bytes for a bound of " + bound);
    }
  }

  /** The bound holds however many nodes upload: the block shrinks instead. */
  @ParameterizedTest
  @ValueSource(ints = {3, 20, 100})
  void memoryStaysWithinTheBoundWhateverTheNumberOfUploads(int k) throws IOException {
    long bound = boundFor(BlockPlan.MIN_BLOCK, 100);
    float[][] uploads = gaussian(new Random(k), k);
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new TrimmedMean(0.1), bound)) {
      for (int j = 0; j < k; j++) {
        aggregate.merge(stage(dir, "node-" + j, 1, uploads[j]));
      }
      aggregate.result();
      assertTrue(aggregate.blockBytes() <= bound, k + " uploads took " + aggregate.blockBytes() + " bytes for a bound of " + bound);
      assertEquals(aggregate.plan().bytes(), aggregate.blockBytes());
    }
  }

  @Test
  void blockPlanLimits() {
    assertEquals(BlockPlan.MIN_BLOCK, BlockPlan.of(10, 5, N).blockSize(), "a tiny bound still reads whole kilobytes");
    assertEquals(N, BlockPlan.of(1L << 30, 5, N).blockSize(), "a block never exceeds the model");
    assertEquals(7, BlockPlan.of(10, 5, 7).blockSize(), "nor a model below the minimum block");
    assertEquals(1, BlockPlan.of(1L << 40, 1, 1).blocks());
    assertEquals((Integer.MAX_VALUE - 8) / 1000, BlockPlan.of(Long.MAX_VALUE, 1000, Integer.MAX_VALUE - 8).blockSize(), "the matrix stays one array");
    assertThrows(IllegalArgumentException.class, () -> BlockPlan.of(0, 5, N));
  }

  @Test
  void keepsTheStagingFilesUntilTheResultThenDeletesThem() throws IOException {
    float[][] uploads = gaussian(new Random(5), 3);
    List<Path> staged = new ArrayList<>();
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new CoordinateMedian(), 1 << 20)) {
      for (int j = 0; j < 3; j++) {
        StagedUpdate update = stage(dir, "node-" + j, 1, uploads[j]);
        aggregate.merge(update);
        staged.add(update.file());
      }
      for (Path p : staged) {
        assertFalse(Files.exists(p), "the staging path no longer names the kept upload, so the caller's delete is harmless");
      }
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(3, files.filter(p -> p.getFileName().toString().endsWith(".kept")).count(), "kept beside the staging files, not copied");
      }
      Bundle first = aggregate.result();
      assertEquals(List.of(), listDir(), "deleted once the result is computed");
      assertSame(first, aggregate.result(), "the result is computed once");
      assertThrows(IllegalStateException.class, () -> aggregate.merge(stage(dir, "late", 1, uploads[0])));
    }
  }

  @Test
  void closeDeletesTheKeptUploadsOfARoundWithoutResult() throws IOException {
    float[][] uploads = gaussian(new Random(6), 4);
    SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new TrimmedMean(0.25), 1 << 20);
    for (int j = 0; j < 4; j++) {
      aggregate.merge(stage(dir, "node-" + j, 1, uploads[j]));
    }
    assertEquals(4, listDir().size());
    aggregate.close();
    assertEquals(List.of(), listDir());
    aggregate.close();
    assertThrows(IllegalStateException.class, aggregate::result);
  }

  @Test
  void aRefusedMergeLeavesTheFileWithTheCaller() throws IOException {
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new CoordinateMedian(), 1 << 20)) {
      StagedUpdate shortUpload = stage(dir, "short", 1, new float[N - 1]);
      assertThrows(IOException.class, () -> aggregate.merge(shortUpload));
      StagedUpdate truncated = stage(dir, "truncated", 1, new float[N]);
      Files.write(truncated.file(), new byte[10]);
      assertThrows(IOException.class, () -> aggregate.merge(truncated), "its logit part cannot be read");
      assertTrue(Files.exists(shortUpload.file()) && Files.exists(truncated.file()));
      assertEquals(0, aggregate.updates());
      assertThrows(IllegalStateException.class, aggregate::result, "nothing merged");
    }
  }

  @Test
  void clipScalesApplyToTheirOwnPart() throws IOException {
    float[] values = gaussian(new Random(8), 1)[0];
    try (SpillingAggregate aggregate = new SpillingAggregate(LAYOUT, new CoordinateMedian(), boundFor(256, 1))) {
      aggregate.merge(stage(dir, "clipped", 3, values), 0.5f, 0.25f);
      float[] result = aggregate.result().toArray();
      for (int i = 0; i < N; i++) {
        assertEquals((StagedUploads.isLogit(i) ? 0.25f : 0.5f) * values[i], result[i], "value " + i);
      }
      assertEquals(3, aggregate.tasks());
    }
  }

  private List<Path> listDir() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }
}
