package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.BundleFiles;
import io.fedbase.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two node processes started from one directory, as two GPUs' worth of nodes on one server would
 * be: they share the default prior cache, and the second one's default metrics port is taken.
 */
class SharedMachineTest {

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
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void twoNodesFromOneDirectoryShareThePriorCacheAndAPortClashIsNamed() throws Exception {
    int port = ProcessFixture.freePort();
    int metricsPort = ProcessFixture.freePort();
    Path work = Files.createDirectories(dir.resolve("work"));
    processes.launch(
        "coordinator",
        "256m",
        List.of(
            "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
            "--state-dir", dir.resolve("state").toString(), "--min-nodes", "2", "--quorum", "2", "--ways", "2",
            "--tasks-per-node", "1", "--shots", "1", "--queries", "1", "--inner-steps", "1", "--round-deadline", "60s"));
    List<String> node =
        List.of("node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--data", "fashion-mnist:test", "--metrics-port", Integer.toString(metricsPort));
    Process a = processes.launchIn(work, "node-a", "1g", concat(node, "--node-id", "node-a", "--classes", "0-1"));
    awaitLine(dir.resolve("node-a.log"), "metrics on port " + metricsPort);

    // the same metrics port again: one line that names the port and the flag, and a bad-input exit
    Process clash = processes.launchIn(work, "node-b-clash", "1g", concat(node, "--node-id", "node-b", "--classes", "2-3"));
    assertTrue(clash.waitFor(60, TimeUnit.SECONDS), "a node whose port is taken exits");
    assertEquals(CliErrors.BAD_INPUT, clash.exitValue());
    String clashLog = Files.readString(dir.resolve("node-b-clash.log"));
    assertTrue(
        clashLog.contains("metrics port " + metricsPort + " is already in use") && clashLog.contains("--metrics-port"),
        "the error names the port and the flag: " + clashLog);

    Process b =
        processes.launchIn(
            work, "node-b", "1g", List.of("node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--data", "fashion-mnist:test",
                "--metrics-port", "-1", "--node-id", "node-b", "--classes", "2-3"));
    // both take part in every round (min-nodes 2, quorum 2), each fetching each version from the shared cache
    processes.awaitVersion(port, 4, Duration.ofMinutes(3));
    assertTrue(a.isAlive() && b.isAlive());
    for (String log : List.of("node-a.log", "node-b.log")) {
      String text = Files.readString(dir.resolve(log));
      assertFalse(text.contains("corrupt") || text.contains("cannot fetch"), log + ":\n" + text);
    }
    Path cache = work.resolve(".cache/fedbase-priors");
    try (var files = Files.walk(cache)) {
      // a .part file may be a download in progress (or one to resume): only whole versions must verify
      List<Path> priors = files.filter(f -> f.getFileName().toString().matches("prior-v\\d{8}\\.fbb")).toList();
      assertTrue(priors.size() >= 4, "the shared default cache holds the priors: " + priors);
      for (Path prior : priors) {
        BundleFiles.read(prior);
      }
    }
    assertEquals(List.of(), processes.crashReports());
  }

  private static List<String> concat(List<String> base, String... more) {
    List<String> all = new java.util.ArrayList<>(base);
    all.addAll(List.of(more));
    return all;
  }

  /** Polls a process log for a line (processes cannot signal readiness otherwise). */
  static void awaitLine(Path log, String text) throws Exception {
    Eventually.await("'" + text + "' in " + log, Duration.ofMinutes(2), () -> readOrEmpty(log), content -> content.contains(text));
  }

  private static String readOrEmpty(Path log) {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
