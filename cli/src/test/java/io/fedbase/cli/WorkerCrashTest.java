package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.BundleFiles;
import io.fedbase.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose worker process is killed mid-adaptation, once with SIGSEGV (the JVM's own crash
 * path: a crash report, then abort) and once with SIGKILL: the node stays connected, skips that
 * round, starts a fresh worker and takes part in the next rounds; nothing on disk is damaged.
 */
class WorkerCrashTest {

  private static final Pattern STARTED = Pattern.compile("worker process (\\d+) started");

  @TempDir Path dir;

  private ProcessFixture processes;

  @BeforeEach
  void fixture() {
    processes = new ProcessFixture(dir);
  }

  @AfterEach
  void killAll() {
    processes.close();
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aNodeOutlivesItsWorkerDyingBySigsegvAndSigkill() throws Exception {
    int port = ProcessFixture.freePort();
    Path state = dir.resolve("state");
    processes.launch(
        "coordinator",
        "256m",
        List.of(
            "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
            "--state-dir", state.toString(), "--min-nodes", "1", "--quorum", "1", "--ways", "2", "--tasks-per-node", "6",
            "--shots", "5", "--queries", "5", "--inner-steps", "10", "--round-deadline", "25s"));
    Path cache = dir.resolve("cache");
    Process node =
        processes.launch(
            "node",
            "1g",
            List.of(
                "node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--node-id", "outlives", "--data", "fashion-mnist:test",
                "--classes", "0-1", "--metrics-port", "-1", "--cache-dir", cache.toString()));
    Path log = dir.resolve("node.log");
    long version = processes.awaitVersion(port, 1, Duration.ofMinutes(2));
    for (String signal : List.of("SEGV", "KILL")) {
      long pid = newestWorker(log);
      // into the next round's adaptation
      awaitCount(log, ": adapting prior version", count(log, ": adapting prior version") + 1);
      Thread.sleep(500);
      int deaths = count(log, "the worker process died");
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
      assertEquals(0, kill.waitFor());
      awaitCount(log, "the worker process died", deaths + 1);
      // the round without the node fails at its deadline; the next one has the node, with a fresh worker
      version = processes.awaitVersion(port, Math.max(version, ProcessFixture.version(port)) + 1, Duration.ofMinutes(2));
      assertTrue(node.isAlive(), "the node outlived its worker's " + signal);
      assertTrue(newestWorker(log) != pid, "a fresh worker took over");
    }
    String text = Files.readString(log);
    assertTrue(text.contains("(exit 134 (SIGABRT))") || text.contains("(exit 139 (SIGSEGV))"), text);
    assertTrue(text.contains("(exit 137 (SIGKILL))"), text);
    // the crash report stays with the node's cache, not in anyone's working directory
    try (Stream<Path> reports = Files.list(cache.resolve("worker-crashes"))) {
      assertEquals(1, reports.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).count());
    }
    assertEquals(List.of(), processes.crashReports());
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".fbb")).toList()) {
        BundleFiles.read(f);
      }
    }
  }

  /** How often {@code text} occurs in the log. */
  private static int count(Path log, String text) {
    try {
      return Files.readString(log).split(Pattern.quote(text), -1).length - 1;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Waits until {@code text} occurs {@code atLeast} times in the log. */
  private static void awaitCount(Path log, String text, int atLeast) throws Exception {
    Eventually.await("'" + text + "' " + atLeast + " times in " + log, Duration.ofMinutes(2), () -> count(log, text), n -> n >= atLeast);
  }

  /** The pid of the worker the node started last, from its log. */
  private static long newestWorker(Path log) throws Exception {
    SharedMachineTest.awaitLine(log, "worker process ");
    Matcher m = STARTED.matcher(Files.readString(log));
    long pid = -1;
    while (m.find()) {
      pid = Long.parseLong(m.group(1));
    }
    assertTrue(pid > 0);
    return pid;
  }
}
