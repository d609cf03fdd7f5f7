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
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The task-weighted mean behind the {@link RoundAggregator} seam, as before it. */
class RoundAggregateTest {

  @TempDir Path dir;

  @Test
  void taskWeightedMeanOfClippedUploadsDeletingEachStagingFile() throws IOException {
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
      assertFalse(Files.exists(update.file()), "folded in and deleted at once");
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
    assertArrayEquals(expected, aggregate.result().toArray(), 1e-6f, "nothing kept, nothing closed away");
  }
}
