package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real processes on loopback: a coordinator killed with SIGKILL at random moments while rounds
 * commit (some kills land mid-checkpoint) and restarted on the same state directory, and a node
 * process that has to reconnect by itself. Nothing committed may be lost or corrupted.
 */
class FaultInjectionTest {

  private static final SupernetSpec SPEC = SupernetSpec.profile("small").toBuilder().setWays(2).build();
  private static final int KILLS = 6;

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
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void aCoordinatorKilledAtRandomLosesNoCommittedVersionAndTheNodeReconnectsByItself() throws Exception {
    int port = ProcessFixture.freePort();
    Path state = dir.resolve("state");
    List<String> coordinatorArgs =
        List.of(
            "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
            "--state-dir", state.toString(), "--min-nodes", "1", "--quorum", "1", "--ways", "2", "--tasks-per-node", "1",
            "--shots", "1", "--queries", "1", "--inner-steps", "1", "--round-deadline", "30s");
    Process coordinator = processes.launch("coordinator-0", "256m", coordinatorArgs);
    Process node =
        processes.launch(
        "node",
        "1g",
        List.of(
            "node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--node-id", "survivor", "--data", "fashion-mnist:test",
            "--classes", "0-1", "--metrics-port", "-1", "--cache-dir", dir.resolve("node-cache").toString()));
    SplittableRandom rng = new SplittableRandom(42);
    long committed = 0;
    for (int kill = 1; kill <= KILLS; kill++) {
      committed = processes.awaitVersion(port, committed + 1, Duration.ofMinutes(2));
      Thread.sleep(rng.nextInt(700));
      long seenBeforeKill = Math.max(committed, ProcessFixture.version(port));
      coordinator.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      verifyStateDirectory(snapshot(state, dir.resolve("snapshot-" + kill)), seenBeforeKill);
      coordinator = processes.launch("coordinator-" + kill, "256m", coordinatorArgs);
      long resumed = processes.awaitVersion(port, seenBeforeKill, Duration.ofMinutes(1));
      try (var files = Files.list(state)) {
        assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(), "interrupted writes are cleaned up");
      }
      assertTrue(resumed >= seenBeforeKill, "kill " + kill + ": resumed at " + resumed + " after seeing " + seenBeforeKill);
      committed = resumed;
    }
    long finalVersion = processes.awaitVersion(port, committed + 1, Duration.ofMinutes(2));
    assertTrue(finalVersion > committed, "rounds continue after the last restart, with the node that reconnected by itself");
    assertTrue(node.isAlive(), "the node survived every coordinator kill");
  }

  /** A copy of the state directory as the kill left it, so checking it changes nothing the restart sees. */
  private static Path snapshot(Path state, Path copy) throws IOException {
    Files.createDirectories(copy);
    try (var files = Files.list(state)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    return copy;
  }

  /** Every prior file verifies, versions are contiguous, each manifest chains to its base. */
  private static void verifyStateDirectory(Path state, long atLeast) throws IOException {
    BundleLayout layout = BundleLayout.of(SPEC);
    CheckpointStore store = new CheckpointStore(state, layout);
    long newest = store.loadNewest().orElseThrow().version();
    assertTrue(newest >= atLeast, "the newest loadable version " + newest + " is older than the committed " + atLeast);
    for (long v = 0; v <= newest; v++) {
      BundleFiles.read(store.priorFile(v), layout);
      if (v > 0) {
        CommitManifest m = store.readManifest(v).orElseThrow(() -> new AssertionError("no manifest"));
        assertEquals(v - 1, m.baseVersion());
        assertEquals(Digests.sha256Hex(store.priorFile(v - 1)), m.baseSha256(), "manifest of v" + (v) + " names its base's bytes");
        assertEquals(Digests.sha256Hex(store.priorFile(v)), m.resultSha256());
      }
    }
  }
}
