package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.coordinator.store.CommitManifest;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
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

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  @Timeout(value = 8, unit = TimeUnit.MINUTES)
  void aCoordinatorKilledAtRandomLosesNoCommittedVersionAndTheNodeReconnectsByItself() throws Exception {
    int port = freePort();
    Path state = dir.resolve("state");
    List<String> coordinatorArgs =
        List.of(
            "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1",
            "--state-dir", state.toString(), "--min-nodes", "1", "--quorum", "1", "--ways", "2", "--tasks-per-node", "1",
            "--shots", "1", "--queries", "1", "--inner-steps", "1", "--round-deadline", "30s");
    Process coordinator = launch("coordinator-0", coordinatorArgs);
    launch(
        "node",
        List.of(
            "node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--node-id", "survivor", "--data", "fashion-mnist:test",
            "--classes", "0-1", "--metrics-port", "-1", "--cache-dir", dir.resolve("node-cache").toString()));
    SplittableRandom rng = new SplittableRandom(42);
    long committed = 0;
    for (int kill = 1; kill <= KILLS; kill++) {
      committed = awaitVersion(port, committed + 1, Duration.ofMinutes(2));
      Thread.sleep(rng.nextInt(700));
      long seenBeforeKill = Math.max(committed, version(port));
      coordinator.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      verifyStateDirectory(state, seenBeforeKill);
      coordinator = launch("coordinator-" + kill, coordinatorArgs);
      long resumed = awaitVersion(port, seenBeforeKill, Duration.ofMinutes(1));
      try (var files = Files.list(state)) {
        assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList(), "interrupted writes are cleaned up");
      }
      assertTrue(resumed >= seenBeforeKill, "kill " + kill + ": resumed at " + resumed + " after seeing " + seenBeforeKill);
      committed = resumed;
    }
    long finalVersion = awaitVersion(port, committed + 1, Duration.ofMinutes(2));
    assertTrue(finalVersion > committed, "rounds continue after the last restart, with the node that reconnected by itself");
    assertTrue(processes.get(1).isAlive(), "the node survived every coordinator kill");
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

  private Process launch(String name, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-Dai.djl.offline=true");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.io.fedbase=info");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(FedbaseCli.class.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile());
    pb.environment().put("OMP_NUM_THREADS", "1");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  private long awaitVersion(int port, long atLeast, Duration limit) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    long v = -1;
    while (System.nanoTime() < end) {
      v = version(port);
      if (v >= atLeast) {
        return v;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("version " + atLeast + " not reached within " + limit + " (last seen " + v + "); logs in " + dir);
  }

  /** The coordinator's committed version, or -1 while it is unreachable or restoring. */
  private static long version(int port) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion();
    } catch (RuntimeException e) {
      return -1;
    } finally {
      channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
