package io.fedbase.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.node.metrics.NodeMetrics;
import io.fedbase.node.runtime.AdapterFailure;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.node.worker.WorkerProtocol.AdaptReply;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.testing.Eventually;
import io.fedbase.testing.ManualTime;
import io.fedbase.wire.Assignment;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's side of its worker process, against small shell programs that behave like broken workers. */
class WorkerProcessTest {

  @TempDir Path dir;

  private final SupernetSpec spec = SupernetSpec.profile("small");

  private Assignment task(long round, Instant deadline) {
    return new Assignment(
        round, 0, deadline, 1, new TaskSpec(2, 1, 1), InnerLoopConfig.defaults(), 1f, 7, List.of(), 0, Optional.empty(), Optional.empty());
  }

  private WorkerProcess worker(String script, ManualTime time, List<String> events) {
    return WorkerProcess.builder()
        .setCommand(List.of("bash", "-c", script))
        .setWorkDir(dir.resolve("work"))
        .optClock(time.clock())
        .optStopGrace(Duration.ofSeconds(10))
        .optListener(
            new NodeListener() {
              @Override
              public void workerStarted(long pid) {
                events.add("started");
              }

              @Override
              public void workerCrashed(String status, int inARow) {
                events.add("crashed " + status + " #" + inARow);
              }
            })
        .build();
  }

  private AdapterFailure adaptFails(WorkerProcess w, Assignment t) {
    return assertThrows(
        AdapterFailure.class, () -> w.adapt(spec, t, ParameterInitializer.initialize(spec, 1), dir.resolve("prior.fbb")));
  }

  @Test
  void aDyingWorkerCostsOneRoundThenRestartsAndBacksOffWhenItKeepsDying() {
    ManualTime time = new ManualTime();
    List<String> events = new ArrayList<>();
    Instant deadline = time.clock().instant().plus(Duration.ofMinutes(10));
    try (WorkerProcess w = worker("read line; exit 7", time, events)) {
      AdapterFailure first = adaptFails(w, task(1, deadline));
      assertEquals(AdapterFailure.Kind.CRASHED, first.kind());
      assertTrue(first.getMessage().contains("exit 7"), first.getMessage());
      // the first crash costs nothing more: the next round starts a fresh worker at once
      assertEquals(AdapterFailure.Kind.CRASHED, adaptFails(w, task(2, deadline)).kind());
      assertEquals(2, w.crashesInARow());
      AdapterFailure waiting = adaptFails(w, task(3, deadline));
      assertEquals(AdapterFailure.Kind.BACKING_OFF, waiting.kind());
      time.advance(Duration.ofSeconds(5));
      assertEquals(AdapterFailure.Kind.CRASHED, adaptFails(w, task(4, deadline)).kind());
      // 10 s after the third
      time.advance(Duration.ofSeconds(9));
      assertEquals(AdapterFailure.Kind.BACKING_OFF, adaptFails(w, task(5, deadline)).kind());
      assertEquals(List.of("started", "crashed exit 7 #1", "started", "crashed exit 7 #2", "started", "crashed exit 7 #3"), events);
    }
  }

  @Test
  void aCrashBySignalIsNamed() {
    ManualTime time = new ManualTime();
    List<String> events = new ArrayList<>();
    try (WorkerProcess w = worker("read line; kill -SEGV $$", time, events)) {
      AdapterFailure f = adaptFails(w, task(1, time.clock().instant().plus(Duration.ofMinutes(1))));
      assertTrue(f.getMessage().contains("exit 139 (SIGSEGV)"), f.getMessage());
    }
  }

  @Test
  void aWorkerThatMissesTheDeadlineIsStoppedAndNotCountedAsACrash() {
    ManualTime time = new ManualTime();
    List<String> events = new ArrayList<>();
    try (WorkerProcess w = worker("exec sleep 600", time, events)) {
      // the deadline has passed by the time the request is sent
      AdapterFailure f = adaptFails(w, task(1, time.clock().instant()));
      assertEquals(AdapterFailure.Kind.TIMED_OUT, f.kind());
      assertEquals(0, w.crashesInARow());
      assertEquals(List.of("started"), events);
    }
  }

  @Test
  void linesThatAreNotRepliesAreSkippedAndASkipReplySkipsTheRound() {
    ManualTime time = new ManualTime();
    String reply = WorkerProtocol.replyLine(WorkerProtocol.AdaptReply.not(9, WorkerProtocol.Outcome.SKIPPED, "too few images of class 3"));
    String script = "read line; echo 'a library says hello'; echo '" + WorkerProtocol.PREFIX + "{not json'; echo '" + reply + "'; read more";
    try (WorkerProcess w = worker(script, time, new ArrayList<>())) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> w.adapt(spec, task(9, time.clock().instant().plus(Duration.ofMinutes(1))), ParameterInitializer.initialize(spec, 1), dir.resolve("p.fbb")));
      assertEquals("too few images of class 3", e.getMessage());
    }
  }

  @Test
  void exitStatusesAreDescribed() {
    assertEquals("exit 137 (SIGKILL)", WorkerProcess.describeExit(137));
    assertEquals("exit 134 (SIGABRT)", WorkerProcess.describeExit(134));
    assertEquals("exit 1", WorkerProcess.describeExit(1));
  }

  @Test
  void theDeviceTheWorkerStartedOnReachesTheNodesMetricsBeforeAnyRound() throws Exception {
    CollectorRegistry registry = new CollectorRegistry(true);
    TrainingDevice gpu = new TrainingDevice("gpu0", "auto", "2.5.1", "gpu0 (auto; libtorch 2.5.1 (CUDA build) sees 1 GPU)");
    String ready = WorkerProtocol.replyLine(AdaptReply.ready(gpu));
    try (WorkerProcess w =
        WorkerProcess.builder()
            .setCommand(List.of("bash", "-c", "echo '" + ready + "'; read line; exit 7"))
            .setWorkDir(dir.resolve("work"))
            .optListener(new NodeMetrics(registry))
            .build()) {
      w.warmUp(Duration.ofSeconds(20));
      String[] labels = {"device", "choice", "libtorch"};
      Eventually.until(
          "fedbase_node_device_info for gpu0",
          Duration.ofSeconds(20),
          () -> Double.valueOf(1).equals(registry.getSampleValue("fedbase_node_device_info", labels, new String[] {"gpu0", "auto", "2.5.1"})));
    }
  }

  @Test
  void aWorkerThatCannotServeWithItsSettingsStopsTheNodeAtStart() {
    String unusable = WorkerProtocol.unusableLine("--device gpu was asked for, but this build's libtorch 2.7.1 is CPU-only");
    try (WorkerProcess w =
        WorkerProcess.builder().setCommand(List.of("bash", "-c", "echo '" + unusable + "'; exit 2")).setWorkDir(dir.resolve("work")).build()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.warmUp(Duration.ofSeconds(20)));
      assertEquals("--device gpu was asked for, but this build's libtorch 2.7.1 is CPU-only", e.getMessage());
    }
  }
}
