package io.fedbase.node.worker;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.learn.BatchResult;
import io.fedbase.node.runtime.Adapter;
import io.fedbase.node.runtime.AdapterFailure;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.worker.WorkerProtocol.AdaptReply;
import io.fedbase.node.worker.WorkerProtocol.AdaptRequest;
import io.fedbase.space.SupernetSpec;
import io.fedbase.wire.Assignment;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a node's adaptations in a child process, the way Flower's SuperNode can run a ClientApp in
 * its own process and NVFlare runs each job in a child: the node keeps its connection, certificate
 * and prior cache, and a worker that dies (a native crash, SIGKILL, out of memory, a CUDA error)
 * costs one round's attempt. The next round starts a fresh worker; crashes in a row back off.
 *
 * <p>One worker serves one request at a time and is reused across rounds (starting the engine
 * costs seconds). A worker that does not answer by the round's deadline is stopped.
 */
public final class WorkerProcess implements Adapter {

  private static final Logger LOG = LoggerFactory.getLogger(WorkerProcess.class);
  /** Marks the end of the worker's output in the reply queue. */
  private static final String EOF = "\u0000eof";

  private final List<String> command;
  private final Path workDir;
  private final Clock clock;
  private final NodeListener listener;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final Duration stopGrace;

  /** The running worker, readable by {@link #signalStop()} without the adaptation's lock. */
  private volatile Process process;
  private BlockingQueue<String> replies;
  private Writer requests;
  /** The running worker's start: null once it is ready (or gone), or why it cannot serve. */
  private CompletableFuture<String> started = CompletableFuture.completedFuture(null);
  private int crashesInARow;
  private Instant nextStart = Instant.MIN;
  private long requestCounter;

  private WorkerProcess(Builder b) {
    this.command = List.copyOf(b.command);
    this.workDir = b.workDir;
    this.clock = b.clock;
    this.listener = b.listener;
    this.firstBackoff = b.firstBackoff;
    this.maxBackoff = b.maxBackoff;
    this.stopGrace = b.stopGrace;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the worker now, so the first round does not wait for the engine to load, and waits until
   * its engine is up (at most {@code patience}).
   *
   * @throws IllegalArgumentException if the worker cannot serve with its settings, say {@code
   *     --device gpu} where libtorch sees no GPU: the node cannot either
   */
  public synchronized void warmUp(Duration patience) throws AdapterFailure, InterruptedException {
    ensureRunning();
    String refusal;
    try {
      refusal = started.get(patience.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("the worker's engine is not up after {} s; the first round waits for it", patience.toSeconds());
      return;
    } catch (ExecutionException e) {
      return;
    }
    if (refusal != null) {
      throw new IllegalArgumentException(refusal);
    }
  }

  @Override
  public synchronized BatchResult adapt(SupernetSpec spec, Assignment task, Bundle prior, Path priorFile)
      throws AdapterFailure, InterruptedException {
    ensureRunning();
    Path delta = workDir.resolve("delta-r" + task.round() + "-" + (++requestCounter) + ".fbb");
    try {
      send(AdaptRequest.of(task, spec.canonicalText(), priorFile.toAbsolutePath().toString(), delta.toAbsolutePath().toString()));
      AdaptReply reply = awaitReply(task);
      return switch (reply.outcome()) {
        case DONE -> {
          Bundle d = BundleFiles.read(delta, BundleLayout.of(spec)).bundle();
          crashesInARow = 0;
          listener.workerHealthy();
          yield new BatchResult(d, reply.tasks(), reply.supportLossBefore(), reply.supportLossAfter(), reply.queryAccuracy());
        }
        case SKIPPED -> throw new IllegalStateException(reply.message());
        case STOPPED -> {
          // it ends by itself after answering; a second SIGTERM would only be noise
          reap();
          throw new AdapterFailure(AdapterFailure.Kind.CRASHED, "the worker process was stopped by a signal");
        }
        case FAILED -> throw new IllegalStateException("the worker could not adapt: " + reply.message());
        // never queued: the reader hands them to whoever waits for the start
        case READY, UNUSABLE -> throw new IllegalStateException("the worker answered a request with a start message");
      };
    } catch (IOException e) {
      // the pipe broke (the worker died under the request) or the delta file is damaged
      if (process != null && !process.isAlive()) {
        throw crashed();
      }
      throw new IllegalStateException("the worker's delta could not be read: " + e.getMessage(), e);
    } finally {
      deleteQuietly(delta);
    }
  }

  /** Asks a running worker to stop (SIGTERM) without waiting; safe from any thread, e.g. a signal handler. */
  public void signalStop() {
    Process p = process;
    if (p != null) {
      // Process.destroy() would also close the pipes, and the worker's last reply with them
      p.toHandle().destroy();
    }
  }

  /** Stops the worker (SIGTERM, then SIGKILL after the grace). */
  @Override
  public synchronized void close() {
    stopWorker("the node stops");
    try {
      // delta files are deleted as they are read; an empty directory is all that is left
      Files.deleteIfExists(workDir);
    } catch (IOException e) {
      LOG.warn("cannot remove the worker's directory {}: {}", workDir, e.getMessage());
    }
  }

  /** Crashes in a row (0 after a round that went well). */
  public synchronized int crashesInARow() {
    return crashesInARow;
  }

  private void ensureRunning() throws AdapterFailure {
    if (process != null && process.isAlive()) {
      return;
    }
    if (process != null) {
      // it died between rounds
      throw crashed();
    }
    Instant now = clock.instant();
    if (now.isBefore(nextStart)) {
      throw new AdapterFailure(
          AdapterFailure.Kind.BACKING_OFF,
          "the worker process crashed " + crashesInARow + " times in a row; next start in " + Duration.between(now, nextStart).toSeconds() + " s");
    }
    try {
      Files.createDirectories(workDir);
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      replies = new LinkedBlockingQueue<>();
      requests = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      CompletableFuture<String> start = new CompletableFuture<>();
      started = start;
      Thread reader = new Thread(() -> readReplies(p.getInputStream(), replies, start), "fedbase-worker-" + p.pid() + "-out");
      reader.setDaemon(true);
      reader.start();
      process = p;
      LOG.info("worker process {} started", p.pid());
      listener.workerStarted(p.pid());
    } catch (IOException e) {
      throw new AdapterFailure(AdapterFailure.Kind.CRASHED, "cannot start the worker process: " + e.getMessage());
    }
  }

  private void send(AdaptRequest request) throws IOException {
    requests.write(WorkerProtocol.requestLine(request));
    requests.write('\n');
    requests.flush();
  }

  private AdaptReply awaitReply(Assignment task) throws AdapterFailure, InterruptedException {
    while (true) {
      Duration left = Duration.between(clock.instant(), task.deadline());
      String line = left.isNegative() || left.isZero() ? replies.poll() : replies.poll(left.toMillis() + 1, TimeUnit.MILLISECONDS);
      if (line == null) {
        stopWorker("it did not finish round " + task.round() + " before the deadline");
        throw new AdapterFailure(AdapterFailure.Kind.TIMED_OUT, "the worker did not finish before the round's deadline; it was stopped");
      }
      if (line.equals(EOF)) {
        throw crashed();
      }
      AdaptReply reply;
      try {
        reply = WorkerProtocol.parseReply(line);
      } catch (IllegalArgumentException e) {
        LOG.warn("worker: an unreadable reply ({})", e.getMessage());
        continue;
      }
      if (reply.round() == task.round()) {
        return reply;
      }
      // an answer to an earlier request that timed out on this side
    }
  }

  /** Records a worker that died: waits for its exit status, counts the crash and sets the backoff. */
  private AdapterFailure crashed() {
    Process p = process;
    process = null;
    String status = "no exit status";
    try {
      if (p != null && p.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        status = describeExit(p.exitValue());
      } else if (p != null) {
        p.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    crashesInARow++;
    Duration wait = backoff(crashesInARow);
    nextStart = clock.instant().plus(wait);
    String message = "the worker process died (" + status + ")" + (wait.isZero() ? "; a fresh one starts for the next round" : "; the next starts in " + wait.toSeconds() + " s");
    LOG.warn("{} ({} in a row)", message, crashesInARow);
    listener.workerCrashed(status, crashesInARow);
    if (wait.isZero()) {
      // the replacement loads the engine now, not inside the next round's deadline
      try {
        ensureRunning();
      } catch (AdapterFailure e) {
        LOG.warn("the replacement worker did not start: {}", e.getMessage());
      }
    }
    return new AdapterFailure(AdapterFailure.Kind.CRASHED, message);
  }

  /** No wait after a first crash, then first, 2 x first, ... up to the maximum. */
  Duration backoff(int inARow) {
    if (inARow <= 1) {
      return Duration.ZERO;
    }
    long factor = 1L << Math.min(20, inARow - 2);
    Duration d = firstBackoff.multipliedBy(factor);
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  private void stopWorker(String why) {
    Process p = process;
    process = null;
    if (p == null || !p.isAlive()) {
      return;
    }
    LOG.info("stopping worker process {}: {}", p.pid(), why);
    p.destroy();
    try {
      if (!p.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for a worker that is exiting by itself, forcing it after the grace. */
  private void reap() throws InterruptedException {
    Process p = process;
    process = null;
    if (p != null && !p.waitFor(stopGrace.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
    }
  }

  /** "exit 134 (SIGABRT)" for a death by signal, "exit 1" otherwise. */
  static String describeExit(int status) {
    if (status > 128 && status < 128 + 32) {
      String name =
          switch (status - 128) {
            case 4 -> "SIGILL";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 9 -> "SIGKILL";
            case 11 -> "SIGSEGV";
            case 15 -> "SIGTERM";
            default -> "signal " + (status - 128);
          };
      return "exit " + status + " (" + name + ")";
    }
    return "exit " + status;
  }

  /** Sorts the worker's standard output into replies and log lines, bounded per line. */
  private void readReplies(InputStream raw, BlockingQueue<String> replies, CompletableFuture<String> start) {
    try (InputStream in = new BufferedInputStream(raw)) {
      StringBuilder line = new StringBuilder();
      boolean overlong = false;
      int b;
      while ((b = in.read()) >= 0) {
        if (b == '\n') {
          if (!overlong) {
            route(new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8), replies, start);
          }
          line.setLength(0);
          overlong = false;
        } else if (line.length() < WorkerProtocol.MAX_LINE_CHARS) {
          line.append((char) b);
        } else {
          overlong = true;
        }
      }
    } catch (IOException e) {
      // the worker is gone; the EOF below says so
    } finally {
      // a worker that ended before it was ready has nothing more to say about its start
      start.complete(null);
      replies.add(EOF);
    }
  }

  /**
   * A reply goes to the queue the request waits on; the worker's ready message to the listener, and
   * it or an unusable worker's reason to whoever waits for the start.
   */
  private void route(String line, BlockingQueue<String> replies, CompletableFuture<String> start) {
    if (line.startsWith(WorkerProtocol.PREFIX)) {
      LOG.debug("worker reply: {}", line);
      AdaptReply startReply = startReply(line);
      if (startReply != null && startReply.outcome() == WorkerProtocol.Outcome.READY) {
        LOG.info("worker: training on {}", startReply.device().description());
        listener.deviceSelected(startReply.device());
        start.complete(null);
        return;
      }
      if (startReply != null) {
        start.complete(startReply.message());
        return;
      }
      replies.add(line);
    } else if (!line.isBlank()) {
      LOG.info("worker: {}", line.length() > 300 ? line.substring(0, 300) + "..." : line);
    }
  }

  /** A ready (with its device) or unusable message; null for any other line. */
  private static AdaptReply startReply(String line) {
    try {
      AdaptReply reply = WorkerProtocol.parseReply(line);
      boolean ready = reply.outcome() == WorkerProtocol.Outcome.READY && reply.device() != null;
      return ready || reply.outcome() == WorkerProtocol.Outcome.UNUSABLE ? reply : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.warn("cannot delete {}: {}", file, e.getMessage());
    }
  }

  /** Settings; {@link #build()} validates. */
  public static final class Builder {
    private List<String> command;
    private Path workDir;
    private Clock clock = Clock.systemUTC();
    private NodeListener listener = NodeListener.none();
    private Duration firstBackoff = Duration.ofSeconds(5);
    private Duration maxBackoff = Duration.ofMinutes(5);
    private Duration stopGrace = Duration.ofSeconds(30);

    /** The command line that starts a worker (for fedbase: {@code java ... FedbaseCli node-worker --data ...}). */
    public Builder setCommand(List<String> command) {
      this.command = command;
      return this;
    }

    /** Where delta files pass from the worker to the node; private to this node. */
    public Builder setWorkDir(Path workDir) {
      this.workDir = workDir;
      return this;
    }

    public Builder optClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** Told of starts and crashes (metrics, the node's log). */
    public Builder optListener(NodeListener listener) {
      this.listener = Objects.requireNonNull(listener);
      return this;
    }

    /** Wait before restarting after the second crash in a row, doubling up to {@code max} (default 5 s, 5 min). */
    public Builder optBackoff(Duration first, Duration max) {
      this.firstBackoff = first;
      this.maxBackoff = max;
      return this;
    }

    /** How long a stopped worker may take to end its step before SIGKILL (default 30 s). */
    public Builder optStopGrace(Duration grace) {
      this.stopGrace = grace;
      return this;
    }

    public WorkerProcess build() {
      if (command == null || command.isEmpty() || workDir == null) {
        throw new IllegalStateException("a worker needs a command and a work directory");
      }
      if (firstBackoff.isNegative() || maxBackoff.compareTo(firstBackoff) < 0) {
        throw new IllegalArgumentException("backoff must satisfy 0 <= first <= max, got " + firstBackoff + ", " + maxBackoff);
      }
      if (stopGrace.isNegative() || stopGrace.isZero()) {
        throw new IllegalArgumentException("the stop grace must be positive, got " + stopGrace);
      }
      return new WorkerProcess(this);
    }
  }
}
