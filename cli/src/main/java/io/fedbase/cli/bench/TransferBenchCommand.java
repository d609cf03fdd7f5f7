package io.fedbase.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.coordinator.CoordinatorRuntime;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.round.FederationSettings;
import io.fedbase.coordinator.round.RoundPolicy;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.meta.Schedule;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.node.transport.UpdateUpload;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.RoundEvent;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.space.SupernetSpec;
import io.fedbase.task.TaskSpec;
import io.fedbase.wire.Chunks;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.prometheus.client.CollectorRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench transfer}: FetchPrior and SubmitUpdate of a model of {@code --mb} megabytes through
 * a real coordinator over Netty on loopback, against a raw TCP socket copy of the same bytes in the
 * same run, for each per-stream flow-control window of a sweep. Uploads take the real path
 * (validated, hashed, spooled and fsynced by the coordinator).
 */
@Command(
    name = "transfer",
    mixinStandardHelpOptions = true,
    description = "Download and upload throughput over gRPC vs raw TCP on loopback, swept over flow-control windows.")
public final class TransferBenchCommand implements Callable<Integer> {

  @Option(names = "--mb", defaultValue = "32", description = "Model size in MiB (default: ${DEFAULT-VALUE}).")
  int mb;

  @Option(names = "--windows-kib", split = ",", defaultValue = "64,256,1024,4096", description = "Flow-control windows to sweep, KiB (default: ${DEFAULT-VALUE}).")
  List<Integer> windowsKib;

  @Option(names = "--repeat", defaultValue = "5", description = "Transfers per direction and window; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--upload-chunks-kib",
      split = ",",
      defaultValue = "1024",
      description = "Upload chunk sizes to sweep, KiB, at most 1024 (default: ${DEFAULT-VALUE}, the node's).")
  List<Integer> uploadChunksKib;

  @Option(
      names = "--ceiling-chunks-kib",
      split = ",",
      description = "Also stream chunks of these sizes (KiB) already in memory through bare gRPC at each window: the transport's ceiling.")
  List<Integer> ceilingChunksKib = List.of();

  @Option(
      names = "--warmup",
      defaultValue = "5",
      description = "Untimed transfers per direction and window first, plus one untimed pass of the first window before the sweep (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(
      names = "--encoding",
      defaultValue = "fp32",
      description = "Upload encoding: fp32, fp16, bf16 or int8; upload times then include the node's encoding, and throughput counts the float32 delta (default: ${DEFAULT-VALUE}).")
  String encoding;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    DeltaEncoding uploadEncoding = DeltaEncoding.parse(encoding);
    if (mb < 1 || repeat < 1 || warmup < 0 || windowsKib.isEmpty() || uploadChunksKib.isEmpty()) {
      throw new IllegalArgumentException("--mb, --repeat, --windows-kib and --upload-chunks-kib must be positive and --warmup not negative");
    }
    for (int kib : uploadChunksKib) {
      if (kib < 1 || kib << 10 > Chunks.MAX_BYTES) {
        throw new IllegalArgumentException("upload chunks must be 1 to " + (Chunks.MAX_BYTES >> 10) + " KiB, got " + kib);
      }
    }
    SupernetSpec spec = sized(mb);
    BundleLayout layout = BundleLayout.of(spec);
    long bytes = (long) layout.totalSize() * Float.BYTES;
    double raw = BenchStats.median(rawTcpSeconds(bytes));
    JsonArray sweep = new JsonArray();
    System.out.printf(Locale.ROOT, "model %.1f MiB; raw TCP on loopback %.2f GB/s%n", bytes / 1048576.0, bytes / raw / 1e9);
    if (warmup > 0) {
      // one untimed pass first: without it the first window of the sweep runs measurably colder
      // (JIT, heap and Netty's buffer arenas still growing) than the later ones, whatever its size
      measure(spec, layout, windowsKib.get(0) << 10, uploadEncoding, new double[repeat], new double[uploadChunksKib.size()][repeat]);
      for (int chunkKib : ceilingChunksKib) {
        GrpcStreamCeiling.seconds(bytes, chunkKib << 10, windowsKib.get(0) << 10, warmup, repeat);
      }
    }
    for (int kib : windowsKib) {
      double[] down = new double[repeat];
      double[][] up = new double[uploadChunksKib.size()][repeat];
      measure(spec, layout, kib << 10, uploadEncoding, down, up);
      double d = BenchStats.median(down);
      JsonObject o = new JsonObject();
      o.addProperty("window_kib", kib);
      o.addProperty("download_gbps", bytes / d / 1e9);
      o.addProperty("download_vs_raw", raw / d);
      StringBuilder line =
          new StringBuilder(String.format(Locale.ROOT, "window %5d KiB: download %.2f GB/s (%.0f%% of raw)", kib, bytes / d / 1e9, 100 * raw / d));
      JsonArray uploads = new JsonArray();
      for (int c = 0; c < uploadChunksKib.size(); c++) {
        double u = BenchStats.median(up[c]);
        JsonObject upload = new JsonObject();
        upload.addProperty("chunk_kib", uploadChunksKib.get(c));
        upload.addProperty("upload_gbps", bytes / u / 1e9);
        upload.addProperty("upload_vs_raw", raw / u);
        uploads.add(upload);
        line.append(String.format(Locale.ROOT, ", upload in %d KiB chunks %.2f GB/s (%.0f%%)", uploadChunksKib.get(c), bytes / u / 1e9, 100 * raw / u));
      }
      o.add("uploads", uploads);
      JsonArray ceiling = new JsonArray();
      for (int chunkKib : ceilingChunksKib) {
        double c = GrpcStreamCeiling.seconds(bytes, chunkKib << 10, kib << 10, warmup, repeat);
        JsonObject point = new JsonObject();
        point.addProperty("chunk_kib", chunkKib);
        point.addProperty("gbps", bytes / c / 1e9);
        point.addProperty("vs_raw", raw / c);
        ceiling.add(point);
        line.append(String.format(Locale.ROOT, ", bare gRPC stream of %d KiB chunks %.2f GB/s (%.0f%%)", chunkKib, bytes / c / 1e9, 100 * raw / c));
      }
      if (!ceilingChunksKib.isEmpty()) {
        o.add("bare_grpc_stream", ceiling);
      }
      sweep.add(o);
      System.out.println(line);
    }
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "transfer");
    json.addProperty("mib", bytes / 1048576.0);
    json.addProperty("encoding", uploadEncoding.label());
    json.addProperty("upload_payload_bytes", uploadEncoding.payloadBytes(layout));
    json.addProperty("download_chunk_kib", Chunks.MAX_BYTES >> 10);
    json.addProperty("warmup", warmup);
    json.addProperty("repeat", repeat);
    json.addProperty("raw_gbps", bytes / raw / 1e9);
    json.add("sweep", sweep);
    report.finish(json, null, null);
    return 0;
  }

  /** The small profile widened until its W holds at least {@code mb} MiB. */
  private static SupernetSpec sized(int mb) {
    for (int c = 8; ; c += 4) {
      SupernetSpec s = SupernetSpec.profile("small").toBuilder().setChannels(c).setWays(2).build();
      if ((long) BundleLayout.of(s).totalSize() * Float.BYTES >= (long) mb << 20) {
        return s;
      }
    }
  }

  private void measure(SupernetSpec spec, BundleLayout layout, int window, DeltaEncoding uploadEncoding, double[] down, double[][] up) throws Exception {
    Path state = Files.createTempDirectory("fedbase-bench-transfer");
    FederationSettings settings =
        FederationSettings.builder()
            .setPolicy(new RoundPolicy(1, 1, Duration.ofMinutes(10)))
            .optTasksPerNode(1)
            .setTasks(new TaskSpec(2, 1, 1))
            .optTau(Schedule.constant(1.0))
            .optScheduleRounds(10)
            .optSeed(0)
            .build();
    try (CoordinatorRuntime coordinator =
        CoordinatorRuntime.start(
            spec, settings, FiniteDifferenceUpdate.defaults(), state, ParameterInitializer.initialize(spec, 1),
            TransportLimits.apply(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), window),
            new CoordinatorMetrics(new CollectorRegistry(true)))) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", coordinator.port()).usePlaintext().flowControlWindow(window).maxInboundMessageSize(4 << 20).build();
      try {
        TimedDownloads.run(channel, warmup, down, 0);
        FederationGrpc.FederationBlockingStub blocking = FederationGrpc.newBlockingStub(channel);
        blocking.join(JoinRequest.newBuilder().setNodeId("bench").build());
        BlockingQueue<RoundAssignment> assignments = new LinkedBlockingQueue<>();
        FederationGrpc.newStub(channel)
            .watchRounds(
                WatchRoundsRequest.newBuilder().setNodeId("bench").build(),
                new StreamObserver<>() {
                  @Override
                  public void onNext(RoundEvent e) {
                    if (e.hasAssignment()) {
                      assignments.add(e.getAssignment());
                    }
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
        Bundle delta = smallRandomDelta(layout);
        List<CoordinatorClient> clients = uploadChunksKib.stream().map(kib -> new CoordinatorClient(channel, kib << 10)).toList();
        // chunk sizes take turns, so drift over the run (page-cache writeback, heap growth) falls on all alike
        for (int r = -warmup; r < repeat; r++) {
          for (int c = 0; c < clients.size(); c++) {
            RoundAssignment a = assignments.poll(2, TimeUnit.MINUTES);
            if (a == null) {
              throw new IllegalStateException("no round assignment within 2 minutes");
            }
            long t0 = System.nanoTime();
            // the node's own path: encode, then stream, hashing on the way
            clients.get(c).submit(
                new UpdateUpload(a.getRound(), "bench", a.getPriorVersion(), 1, delta, 0, 0, 0, uploadEncoding, r + warmup), Duration.ofMinutes(5));
            if (r >= 0) {
              up[c][r] = (System.nanoTime() - t0) / 1e9;
            }
          }
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      try (var files = Files.walk(state)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** A delta of small random values, as a node's would be (zeros would flatter the lossy encodings). */
  private static Bundle smallRandomDelta(BundleLayout layout) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    float[] v = new float[layout.totalSize()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (random.nextGaussian() * 1e-3);
    }
    return Bundle.of(layout, v);
  }

  /** Seconds to push {@code bytes} through a loopback TCP socket in 1 MiB writes, {@code repeat} times. */
  private double[] rawTcpSeconds(long bytes) throws Exception {
    double[] out = new double[repeat];
    try (ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      for (int r = -warmup; r < repeat; r++) {
        Thread reader =
            new Thread(
                () -> {
                  try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 20];
                    long left = bytes;
                    while (left > 0) {
                      int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                      if (n < 0) {
                        break;
                      }
                      left -= n;
                    }
                    s.getOutputStream().write(1);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
        reader.start();
        try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), server.getLocalPort());
            OutputStream os = s.getOutputStream()) {
          byte[] buf = new byte[1 << 20];
          long t0 = System.nanoTime();
          for (long sent = 0; sent < bytes; sent += buf.length) {
            os.write(buf, 0, (int) Math.min(buf.length, bytes - sent));
          }
          os.flush();
          s.getInputStream().read();
          if (r >= 0) {
            out[r] = (System.nanoTime() - t0) / 1e9;
          }
        }
        reader.join();
      }
    }
    return out;
  }
}
