package io.fedbase.node.worker;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.engine.StoppedException;
import io.fedbase.learn.BatchResult;
import io.fedbase.node.runtime.Adapter;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.node.worker.WorkerProtocol.AdaptReply;
import io.fedbase.node.worker.WorkerProtocol.AdaptRequest;
import io.fedbase.node.worker.WorkerProtocol.Outcome;
import io.fedbase.space.SupernetSpec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/**
 * The worker process's side: reads a request per line, adapts with the engine, writes the delta
 * file and answers; ends when the node closes the pipe (or the node is gone, or a signal stops it).
 */
public final class WorkerLoop {

  private final Adapter adapter;
  private final TrainingDevice device;

  /**
   * @param adapter the in-process adaptation this worker runs
   * @param device where its engine runs, told to the node first
   */
  public WorkerLoop(Adapter adapter, TrainingDevice device) {
    this.adapter = adapter;
    this.device = device;
  }

  /**
   * Says it is ready (and on which device), then serves until {@code in} ends. A stop request ends
   * the current step, is answered, and rethrown.
   */
  public void serve(BufferedReader in, PrintStream out) throws IOException, InterruptedException {
    answer(out, AdaptReply.ready(device));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isBlank()) {
        continue;
      }
      AdaptRequest request;
      try {
        request = WorkerProtocol.parseRequest(line);
      } catch (IllegalArgumentException e) {
        answer(out, AdaptReply.not(-1, Outcome.FAILED, "unreadable request: " + e.getMessage()));
        continue;
      }
      try {
        answer(out, adapt(request));
      } catch (StoppedException e) {
        answer(out, AdaptReply.not(request.round(), Outcome.STOPPED, e.getMessage()));
        throw e;
      }
    }
  }

  private AdaptReply adapt(AdaptRequest request) throws InterruptedException {
    try {
      SupernetSpec spec = SupernetSpec.parseCanonical(request.spec());
      Path priorFile = Path.of(request.priorFile());
      Bundle prior = BundleFiles.read(priorFile, BundleLayout.of(spec)).bundle();
      BatchResult r = adapter.adapt(spec, request.task(), prior, priorFile);
      BundleFiles.write(Path.of(request.deltaFile()), StoredBundle.parameters(r.meanDelta(), Map.of("round", Long.toString(request.round()))));
      return AdaptReply.done(request.round(), r.tasks(), r.supportLossBefore(), r.supportLossAfter(), r.queryAccuracy());
    } catch (IllegalArgumentException | IllegalStateException e) {
      return AdaptReply.not(request.round(), Outcome.SKIPPED, e.getMessage());
    } catch (IOException | RuntimeException e) {
      if (e instanceof StoppedException s) {
        throw s;
      }
      return AdaptReply.not(request.round(), Outcome.FAILED, e.toString());
    } catch (io.fedbase.node.runtime.AdapterFailure e) {
      return AdaptReply.not(request.round(), Outcome.FAILED, e.getMessage());
    }
  }

  private static void answer(PrintStream out, AdaptReply reply) {
    out.println(WorkerProtocol.replyLine(reply));
    out.flush();
  }
}
