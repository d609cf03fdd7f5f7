package io.fedbase.node.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.engine.StopRequest;
import io.fedbase.engine.StoppedException;
import io.fedbase.learn.BatchResult;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.TaskBatch;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.node.runtime.InProcessAdapter;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.node.runtime.TrainingGate;
import io.fedbase.node.worker.WorkerProtocol.AdaptReply;
import io.fedbase.node.worker.WorkerProtocol.Outcome;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Devices;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.task.TaskSpec;
import io.fedbase.wire.Assignment;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's loop on real data and the real engine: the delta it writes is the in-process one. */
class WorkerLoopTest {

  @TempDir Path dir;

  @Test
  void answersEachRequestWithTheDeltaTheNodeWouldHaveComputedItself() throws Exception {
    SupernetSpec spec = SupernetSpec.profile("small").toBuilder().setWays(2).build();
    ImageDataset data = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist:test")).select(ClassSelection.parse("0-3"));
    Bundle prior = ParameterInitializer.initialize(spec, 11);
    Path priorFile = dir.resolve("prior.fbb");
    BundleFiles.write(priorFile, StoredBundle.parameters(prior, Map.of()));
    Assignment task =
        new Assignment(3, 0, Instant.MAX, 2, new TaskSpec(2, 2, 2), InnerLoopConfig.defaults().withSteps(2), 0.8f, 99, List.of(), 4, Optional.empty(), Optional.empty());
    Path deltaFile = dir.resolve("delta.fbb");
    String good = WorkerProtocol.requestLine(WorkerProtocol.AdaptRequest.of(task, spec.canonicalText(), priorFile.toString(), deltaFile.toString()));
    String input = "not json\n" + good + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Devices.Selected cpu = Devices.resolve("cpu");
    try (NDManager manager = NDManager.newBaseManager(cpu.device())) {
      new WorkerLoop(new InProcessAdapter(data, manager, new TrainingGate()), TrainingDevice.of(cpu))
          .serve(new BufferedReader(new StringReader(input)), new PrintStream(out, true, StandardCharsets.UTF_8));
      List<AdaptReply> replies = out.toString(StandardCharsets.UTF_8).lines().map(WorkerProtocol::parseReply).toList();
      AdaptReply ready = replies.get(0);
      assertEquals(Outcome.READY, ready.outcome(), "the worker first says it is up, and where");
      assertEquals("cpu", ready.device().name());
      assertEquals("cpu", ready.device().choice());
      assertTrue(ready.device().description().startsWith("cpu (cpu; libtorch "), ready.device().description());
      assertEquals(Outcome.FAILED, replies.get(1).outcome(), "an unreadable request is answered, not fatal");
      AdaptReply done = replies.get(2);
      assertEquals(Outcome.DONE, done.outcome(), done.message());
      assertEquals(3, done.round());
      assertEquals(2, done.tasks());
      Bundle delta = BundleFiles.read(deltaFile, BundleLayout.of(spec)).bundle();
      BatchResult expected =
          new TaskBatch(new InnerLoop(new Supernet(spec), task.inner(), manager), new TaskSampler(data, task.taskShape(), task.seed()), AggregationRule.weightedMean())
              .adapt(prior, task.firstTask(), task.tasks(), task.tau(), task.seed());
      assertEquals(expected.meanDelta(), delta, "the worker computes what the node itself would");
      assertEquals(expected.supportLossAfter(), done.supportLossAfter(), 1e-12);
      assertTrue(Files.exists(deltaFile));

      // a stop request (the worker's SIGTERM) ends the step, is answered, and ends the loop
      StopRequest.request(new StopRequest.Reason("SIGTERM", 143));
      ByteArrayOutputStream stoppedOut = new ByteArrayOutputStream();
      try {
        assertThrows(
            StoppedException.class,
            () ->
                new WorkerLoop(new InProcessAdapter(data, manager, new TrainingGate()), TrainingDevice.of(cpu))
                    .serve(new BufferedReader(new StringReader(good + "\n")), new PrintStream(stoppedOut, true, StandardCharsets.UTF_8)));
      } finally {
        StopRequest.clearForTests();
      }
      List<String> stoppedLines = stoppedOut.toString(StandardCharsets.UTF_8).lines().toList();
      AdaptReply stopped = WorkerProtocol.parseReply(stoppedLines.get(stoppedLines.size() - 1));
      assertEquals(Outcome.STOPPED, stopped.outcome());
      assertEquals(3, stopped.round());
    }
  }
}
