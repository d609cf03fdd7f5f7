package io.fedbase.coordinator.aggregate;

import static io.fedbase.coordinator.aggregate.StagedUploads.LAYOUT;
import static io.fedbase.coordinator.aggregate.StagedUploads.N;
import static io.fedbase.coordinator.aggregate.StagedUploads.clipped;
import static io.fedbase.coordinator.aggregate.StagedUploads.gaussian;
import static io.fedbase.coordinator.aggregate.StagedUploads.logits;
import static io.fedbase.coordinator.aggregate.StagedUploads.stage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task-weighted mean behind the {@link RoundAggregator} seam, folded in batches. */
class RoundAggregateTest {

  @TempDir Path dir;

  @Test
  void taskWeightedMeanOfClippedUploads() throws IOException {
    float[][] uploads = gaussian(new Random(11), 4);
    int[] tasks = {1, 2, 3, 8};
    float[] weightScales = {1f, 0.5f, 1f, 0.75f};
    float[] logitScales = {1f, 1f, 0.2f, 0.5f};
    RoundAggregator aggregate = AggregationMethod.weightedMean().open(LAYOUT);
    assertTrue(aggregate instanceof RoundAggregate);
    double[] sum = new double[N];
    for (int j = 0; j < uploads.length; j++) {
      StagedUpdate update = stage(dir, "node-" + j, tasks[j], uploads[j]);
      aggregate.merge(update, weightScales[j], logitScales[j]);
      assertFalse(Files.exists(update.file()), "taken over");
      float[] seen = clipped(uploads[j], weightScales[j], logitScales[j]);
      for (int i = 0; i < N; i++) {
        sum[i] += (double) tasks[j] * seen[i];
      }
      assertArrayEquals(logits(seen), aggregate.logitDeltas().get(j));
    }
    float[] expected = new float[N];
    for (int i = 0; i < N; i++) {
      expected[i] = (float) (sum[i] / 14);
    }
    assertArrayEquals(expected, aggregate.result().toArray(), 1e-6f);
    assertEquals(4, aggregate.updates());
    assertEquals(14, aggregate.tasks());
    aggregate.close();
    assertArrayEquals(expected, aggregate.result().toArray(), 1e-6f, "a computed result survives close");
    assertEquals(List.of(), kept(), "every staging file folded and deleted");
  }

  @Test
  void batchesWaitOnDiskAndEveryBatchSizeGivesBitForBitTheSameMean() throws IOException {
    float[][] uploads = gaussian(new Random(3), 7);
    float[] reference = null;
    for (int batch : new int[] {1, 3, 7, 8}) {
      RoundAggregate aggregate = new RoundAggregate(LAYOUT, true, batch);
      for (int j = 0; j < uploads.length; j++) {
        aggregate.merge(stage(dir, "node-" + j, j + 1, uploads[j]), 1f, j == 2 ? 0.25f : 1f);
        assertEquals((j + 1) % batch, kept().size(), "batch " + batch + " after upload " + j + ": a full batch is folded and deleted");
        assertEquals(j + 1, aggregate.updates(), "waiting uploads count as merged");
      }
      float[] mean = aggregate.result().toArray();
      assertEquals(List.of(), kept(), "the result folds whatever waits");
      if (reference == null) {
        reference = mean;
      } else {
        // each coordinate receives the uploads in the same order whatever the batch
        assertArrayEquals(reference, mean, 0f, "batch " + batch);
      }
    }
  }

  @Test
  void closingDeletesWaitingUploadsAndRefusesTheResultTheyWereNeededFor() throws IOException {
    RoundAggregate aggregate = new RoundAggregate(LAYOUT, true, 4);
    float[][] uploads = gaussian(new Random(4), 2);
    aggregate.merge(stage(dir, "a", 1, uploads[0]));
    aggregate.merge(stage(dir, "b", 1, uploads[1]));
    assertEquals(2, kept().size());
    aggregate.close();
    assertEquals(List.of(), kept());
    assertThrows(IllegalStateException.class, aggregate::result);
  }

  @Test
  void anUploadThatCannotBeReadBackBreaksTheRoundInsteadOfCommittingAPartialSum() throws IOException {
    RoundAggregate aggregate = new RoundAggregate(LAYOUT, true, 2);
    float[][] uploads = gaussian(new Random(5), 3);
    aggregate.merge(stage(dir, "a", 1, uploads[0]));
    // the coordinator's disk loses the waiting file: the batch cannot be folded completely
    try (var files = Files.list(dir)) {
      Path waiting = files.filter(f -> f.toString().endsWith(".kept")).findFirst().orElseThrow();
      Files.write(waiting, new byte[12]);
    }
    IOException folding = assertThrows(IOException.class, () -> aggregate.merge(stage(dir, "b", 1, uploads[1])));
    assertTrue(folding.getMessage().contains("ends at byte"), folding.getMessage());
    IOException later = assertThrows(IOException.class, () -> aggregate.merge(stage(dir, "c", 1, uploads[2])));
    assertTrue(later.getMessage().contains("incomplete"), later.getMessage());
    assertThrows(IOException.class, aggregate::result);
    aggregate.close();
    assertEquals(List.of(), kept(), "the broken batch's files are gone too");
  }

  /** Staging files the aggregate has taken over and not yet folded. */
  private List<Path> kept() throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".kept")).toList();
    }
  }
}
