package io.fedbase.cli;

import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.testing.Eventually;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** fedbase commands as separate JVMs (so they can be SIGKILLed or given a small heap), on loopback. */
final class ProcessFixture implements AutoCloseable {

  private final Path logDir;
  private final List<Process> processes = new ArrayList<>();

  ProcessFixture(Path logDir) {
    this.logDir = logDir;
  }

  /** Starts {@code fedbase ARGS} with the given heap, logging to {@code name.log}. */
  Process launch(String name, String heap, List<String> args) throws IOException {
    return launchIn(logDir, name, heap, args);
  }

  /**
   * Starts {@code fedbase ARGS} in working directory {@code workDir} (relative paths, such as the
   * default prior cache, resolve there); a JVM crash report would land in the log directory as
   * {@code hs_err_pid*.log}.
   */
  Process launchIn(Path workDir, String name, String heap, List<String> args) throws IOException {
    return launchMain(workDir, name, heap, System.getProperty("java.class.path"), FedbaseCli.class.getName(), args);
  }

  /** Starts {@code mainClass ARGS} from {@code classPath}, otherwise like {@link #launchIn}. */
  Process launchMain(Path workDir, String name, String heap, String classPath, String mainClass, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx" + heap);
    command.add("-XX:ErrorFile=" + logDir.toAbsolutePath().resolve("hs_err_pid%p.log"));
    command.add("--add-modules");
    command.add("jdk.incubator.vector");
    command.add("-Dai.djl.offline=true");
    command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    command.add("-Dorg.slf4j.simpleLogger.log.io.fedbase=info");
    command.add("-cp");
    command.add(classPath);
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(logDir.resolve(name + ".log").toFile());
    // torch processes share two cores with the test: one engine thread each
    pb.environment().put("FEDBASE_THREADS", "1");
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  /** Waits until the coordinator on {@code port} has committed at least {@code atLeast} versions. */
  long awaitVersion(int port, long atLeast, Duration limit) throws InterruptedException {
    return Eventually.await(
        "version " + atLeast + " (logs in " + logDir + ")",
        limit,
        () -> {
          try {
            return version(port);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1L;
          }
        },
        v -> v >= atLeast);
  }

  /** The coordinator's committed version, or -1 while it is unreachable or restoring. */
  static long version(int port) throws InterruptedException {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return FederationGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion();
    } catch (RuntimeException e) {
      return -1;
    } finally {
      channel.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** The JVM crash reports in the log directory (there should be none). */
  List<Path> crashReports() throws IOException {
    try (var files = java.nio.file.Files.list(logDir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("hs_err_pid")).toList();
    }
  }

  /** Kills every process started here and its children (a node's worker), and waits until they are gone. */
  @Override
  public void close() {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process p : processes) {
      p.descendants().forEach(all::add);
      all.add(p.toHandle());
    }
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // gone already, or not ours to wait for: the temporary directory's removal will say so
      }
    }
  }
}
