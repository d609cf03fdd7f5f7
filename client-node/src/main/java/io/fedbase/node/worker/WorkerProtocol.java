package io.fedbase.node.worker;

import com.google.gson.Gson;
import com.google.gson.JsonParseException;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.task.TaskSpec;
import io.fedbase.wire.Assignment;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a node and its worker process say to each other: one JSON request per line on the worker's
 * standard input, one reply per line on its standard output behind {@link #PREFIX} (anything else a
 * library prints there is not mistaken for a reply). Large data goes through files: the prior the
 * node cached and verified, and the delta the worker writes atomically with a checksum.
 */
public final class WorkerProtocol {

  /** Marks a reply line; the version changes with the message shapes. */
  public static final String PREFIX = "fedbase-worker-v1 ";
  /** Longer lines are not replies (and are not kept whole in memory). */
  static final int MAX_LINE_CHARS = 1 << 16;

  private static final Gson GSON = new Gson();

  private WorkerProtocol() {}

  /** Adapt the prior in {@code priorFile} to tasks {@code firstTask ..} and write the mean delta to {@code deltaFile}. */
  public record AdaptRequest(
      long round,
      String spec,
      String priorFile,
      String deltaFile,
      int ways,
      int shots,
      int queries,
      InnerLoopConfig inner,
      float tau,
      long seed,
      long firstTask,
      int tasks) {

    static AdaptRequest of(Assignment task, String canonicalSpec, String priorFile, String deltaFile) {
      TaskSpec shape = task.taskShape();
      return new AdaptRequest(
          task.round(), canonicalSpec, priorFile, deltaFile, shape.ways(), shape.shots(), shape.queries(), task.inner(), task.tau(), task.seed(),
          task.firstTask(), task.tasks());
    }

    /** The part of a round's assignment that adaptation reads. */
    Assignment task() {
      return new Assignment(
          round, 0, Instant.MAX, tasks, new TaskSpec(ways, shots, queries), inner, tau, seed, List.of(), firstTask, Optional.empty(), Optional.empty());
    }
  }

  /** How a request ended, or ({@link #READY}) that the worker is up. */
  public enum Outcome {
    /** Not an answer: the worker's engine started, on the reply's device; sent once, first. */
    READY,
    /** Not an answer: the worker cannot serve with its settings (the message says why) and exits; sent instead of READY. */
    UNUSABLE,
    /** The delta is in the request's file. */
    DONE,
    /** This node's data cannot serve the round, or the adaptation diverged. */
    SKIPPED,
    /** The worker was asked to stop (a signal) and ended its step. */
    STOPPED,
    /** Anything else; the worker goes on serving. */
    FAILED
  }

  /** The worker's answer to one request; {@code device} is set on {@link Outcome#READY} only. */
  public record AdaptReply(
      long round, Outcome outcome, String message, int tasks, double supportLossBefore, double supportLossAfter, double queryAccuracy, TrainingDevice device) {

    static AdaptReply done(long round, int tasks, double before, double after, double accuracy) {
      return new AdaptReply(round, Outcome.DONE, "", tasks, before, after, accuracy, null);
    }

    static AdaptReply not(long round, Outcome outcome, String message) {
      return new AdaptReply(round, outcome, message == null ? "" : message, 0, 0, 0, 0, null);
    }

    static AdaptReply ready(TrainingDevice device) {
      return new AdaptReply(-1, Outcome.READY, "", 0, 0, 0, 0, device);
    }

    static AdaptReply unusable(String why) {
      return new AdaptReply(-1, Outcome.UNUSABLE, why, 0, 0, 0, 0, null);
    }
  }

  static String requestLine(AdaptRequest request) {
    return GSON.toJson(request);
  }

  static AdaptRequest parseRequest(String line) {
    AdaptRequest r = parse(line, AdaptRequest.class);
    if (r.spec() == null || r.priorFile() == null || r.deltaFile() == null || r.inner() == null || r.tasks() < 1) {
      throw new IllegalArgumentException("incomplete request");
    }
    return r;
  }

  /** The line a worker that cannot serve with its settings sends, and why, before it exits. */
  public static String unusableLine(String why) {
    return replyLine(AdaptReply.unusable(why));
  }

  static String replyLine(AdaptReply reply) {
    return PREFIX + GSON.toJson(reply);
  }

  /** The reply on a line that starts with {@link #PREFIX}. */
  static AdaptReply parseReply(String line) {
    AdaptReply r = parse(line.substring(PREFIX.length()), AdaptReply.class);
    if (r.outcome() == null) {
      throw new IllegalArgumentException("a reply without an outcome");
    }
    return r;
  }

  private static <T> T parse(String json, Class<T> type) {
    try {
      T value = GSON.fromJson(json, type);
      if (value == null) {
        throw new IllegalArgumentException("an empty message");
      }
      return value;
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("not a worker message: " + e.getMessage(), e);
    }
  }
}
