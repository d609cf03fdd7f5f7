package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.InputSignature;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nothing moves between host and device per inner step: counted through {@link DeviceTransfers},
 * the one way training code copies, an adaptation of K steps copies exactly what one of a single
 * step does (the prior, the task's data and the draws there, the delta and the losses back). On a
 * GPU each such copy would stall the step; on this CPU they cost nothing, so only the count shows a
 * regression.
 */
class DeviceCleanTest {

  private static final InputSignature GREY = new InputSignature(1, 28, 28);
  private static final SupernetSpec SPEC = SupernetSpec.profile("small").toBuilder().setWays(3).build();
  private static final Supernet SUPERNET = new Supernet(SPEC);

  static Stream<InnerLoopConfig> configs() {
    return Stream.of(
        InnerLoopConfig.defaults(),
        InnerLoopConfig.builder().optBatchSize(4).optRelaxation(Relaxation.GUMBEL_HARD).build(),
        InnerLoopConfig.builder().optRelaxation(Relaxation.SOFTMAX).build());
  }

  private static Task task() {
    SplittableRandom rng = new SplittableRandom(3);
    int[] support = {0, 1, 2, 0, 1, 2};
    int[] query = {2, 1, 0};
    return new Task(0, GREY, 3, images(support.length, rng), support, images(query.length, rng), query, new int[] {0, 1, 2}, new int[6], new int[3]);
  }

  private static float[] images(int n, SplittableRandom rng) {
    float[] x = new float[n * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    return x;
  }

  /** What one adaptation of {@code steps} steps copied each way. */
  private static DeviceTransfers.Counts adaptation(InnerLoopConfig config, int steps, NDManager root) {
    return adaptation(config, steps, 1, root);
  }

  /** What adapting {@code tasks} tasks together (one after another if 1) for {@code steps} steps copied each way. */
  private static DeviceTransfers.Counts adaptation(InnerLoopConfig config, int steps, int tasks, NDManager root) {
    Bundle prior = ParameterInitializer.initialize(SPEC, 5);
    InnerLoop loop = new InnerLoop(SUPERNET, config.toBuilder().optSteps(steps).build(), root).withTasksAtOnce(tasks);
    List<Task> sets = java.util.Collections.nCopies(tasks, task());
    long[] seeds = java.util.stream.LongStream.range(7, 7 + tasks).toArray();
    DeviceTransfers.Counts before = DeviceTransfers.counts();
    List<TaskAdaptation> results = loop.adaptAll(prior, sets, 1f, seeds);
    DeviceTransfers.Counts copied = DeviceTransfers.counts().since(before);
    assertEquals(steps, results.get(tasks - 1).supportLosses().length);
    return copied;
  }

  @ParameterizedTest
  @MethodSource("configs")
  void anAdaptationCopiesAsMuchWhateverItsStepCount(InnerLoopConfig config) {
    try (NDManager root = NDManager.newBaseManager()) {
      DeviceTransfers.Counts one = adaptation(config, 1, root);
      DeviceTransfers.Counts six = adaptation(config, 6, root);
      assertEquals(one.toDevice(), six.toDevice(), "copies to the device: " + one + " vs " + six);
      assertEquals(one.toHost(), six.toHost(), "copies to the host: " + one + " vs " + six);
      // the draws of six steps travel in the same copies as one step's, only bigger
      assertTrue(six.toDeviceBytes() >= one.toDeviceBytes());
      long priorBytes = (long) ParameterInitializer.initialize(SPEC, 5).layout().totalSize() * Float.BYTES;
      assertTrue(one.toDeviceBytes() > priorBytes, "the prior and the task went to the device: " + one);
      assertTrue(one.toHostBytes() >= priorBytes, "the adapted parameters came back: " + one);
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void aStackedAdaptationCopiesAsMuchWhateverItsStepCount(InnerLoopConfig config) {
    try (NDManager root = NDManager.newBaseManager()) {
      DeviceTransfers.Counts one = adaptation(config, 1, 3, root);
      DeviceTransfers.Counts six = adaptation(config, 6, 3, root);
      assertEquals(one.toDevice(), six.toDevice(), "copies to the device: " + one + " vs " + six);
      assertEquals(one.toHost(), six.toHost(), "copies to the host: " + one + " vs " + six);
      // three tasks travel together: no more copies than one task's adaptation makes
      DeviceTransfers.Counts single = adaptation(config, 6, root);
      assertTrue(six.toDevice() <= single.toDevice(), "stacked " + six + " vs one task " + single);
      assertTrue(six.toHost() <= single.toHost(), "stacked " + six + " vs one task " + single);
      long priorBytes = (long) ParameterInitializer.initialize(SPEC, 5).layout().totalSize() * Float.BYTES;
      assertTrue(six.toDeviceBytes() > 3 * priorBytes, "three copies of the prior went to the device: " + six);
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void readingEachStepBackGivesWhatReadingThemAllAtTheEndGives(InnerLoopConfig config) {
    Bundle prior = ParameterInitializer.initialize(SPEC, 5);
    Task t = task();
    try (NDManager root = NDManager.newBaseManager()) {
      InnerLoop loop = new InnerLoop(SUPERNET, config.toBuilder().optSteps(4).build(), root);
      double[] eachStep = new double[4];
      Bundle stepped;
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 7)) {
        DeviceTransfers.Counts before = DeviceTransfers.counts();
        for (int k = 0; k < 4; k++) {
          eachStep[k] = s.step(t.supportImages(), t.supportLabels(), GREY, 3).loss();
        }
        assertEquals(4, DeviceTransfers.counts().since(before).toHost(), "an interactive step reads its loss back: one copy each");
        stepped = s.parameters();
      }
      try (AdaptationSession s = loop.open(prior, GREY, 1f, 7)) {
        for (int k = 0; k < 4; k++) {
          s.advance(t.supportImages(), t.supportLabels(), GREY, 3);
        }
        List<Evaluation> atTheEnd = s.readBack();
        assertArrayEquals(eachStep, atTheEnd.stream().mapToDouble(Evaluation::loss).toArray(), 0.0);
        assertEquals(stepped, s.parameters(), "the same steps, whenever the losses are read");
        assertEquals(List.of(), s.readBack(), "read once");
      }
    }
  }

  /**
   * The counts above see only copies made through {@link DeviceTransfers}; a copy made around it
   * would go unseen. So no training code makes one: no host array handed to a manager, no array
   * read back, but through DeviceTransfers.
   */
  @Test
  void trainingCodeCopiesOnlyThroughDeviceTransfers() throws IOException {
    Pattern copy = Pattern.compile("\\.create\\([^)]|\\.to(Float|Long|Int|Double|Byte|Boolean)Array\\(\\)|\\.get(Float|Long|Int|Double)\\(\\)|\\.toByteBuffer\\(");
    Path sources = Path.of("src/main/java/io/fedbase");
    List<String> offenders;
    try (Stream<Path> files = Files.walk(sources)) {
      offenders =
          files
              .filter(f -> f.toString().endsWith(".java") && !f.getFileName().toString().equals("DeviceTransfers.java"))
              .flatMap(f -> lines(f).stream().filter(l -> copy.matcher(l).find() && !l.strip().startsWith("*")).map(l -> f.getFileName() + ": " + l.strip()))
              .toList();
    }
    assertEquals(List.of(), offenders, "copies between host and device outside DeviceTransfers");
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
