package io.fedbase.cli.bench;

import com.google.gson.JsonObject;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Times GetStatus and Join against a coordinator, one after the other with a pause between, on a
 * thread of its own until stopped: how responsive the coordinator stays while it merges uploads and
 * commits rounds.
 */
public final class LatencyProbe {

  private final ManagedChannel channel;
  private final long pauseMillis;
  private final List<Double> statusMs = new ArrayList<>();
  private final List<Double> joinMs = new ArrayList<>();
  private volatile boolean running;
  private Thread thread;

  LatencyProbe(ManagedChannel channel, long pauseMillis) {
    this.channel = channel;
    this.pauseMillis = pauseMillis;
  }

  void start() {
    running = true;
    thread = new Thread(this::probe, "latency-probe");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops probing and waits for the call in flight; idempotent. */
  void stop() throws InterruptedException {
    running = false;
    if (thread != null) {
      thread.join(TimeUnit.SECONDS.toMillis(60));
    }
  }

  private void probe() {
    FederationGrpc.FederationBlockingStub stub = FederationGrpc.newBlockingStub(channel);
    while (running) {
      try {
        long t0 = System.nanoTime();
        stub.withDeadlineAfter(60, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance());
        long t1 = System.nanoTime();
        stub.withDeadlineAfter(60, TimeUnit.SECONDS).join(JoinRequest.newBuilder().setNodeId("latency-probe").build());
        long t2 = System.nanoTime();
        synchronized (this) {
          statusMs.add((t1 - t0) / 1e6);
          joinMs.add((t2 - t1) / 1e6);
        }
        Thread.sleep(pauseMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        // the coordinator ended the federation; the run is over
        return;
      }
    }
  }

  /** Median, p99 and maximum of each call, in milliseconds. */
  synchronized JsonObject summary() {
    JsonObject o = new JsonObject();
    o.add("get_status_ms", stats(statusMs));
    o.add("join_ms", stats(joinMs));
    return o;
  }

  synchronized String describe() {
    if (statusMs.isEmpty()) {
      return "probe: no call completed";
    }
    double[] s = values(statusMs);
    double[] j = values(joinMs);
    return String.format(
        Locale.ROOT,
        "probe, %d calls of each: GetStatus median %.2f ms, p99 %.2f ms, max %.1f ms; Join median %.2f ms, p99 %.2f ms, max %.1f ms",
        s.length, BenchStats.median(s), BenchStats.quantile(s, 0.99), BenchStats.quantile(s, 1), BenchStats.median(j), BenchStats.quantile(j, 0.99),
        BenchStats.quantile(j, 1));
  }

  private static JsonObject stats(List<Double> ms) {
    JsonObject o = new JsonObject();
    o.addProperty("calls", ms.size());
    if (!ms.isEmpty()) {
      double[] v = values(ms);
      o.addProperty("median", BenchStats.median(v));
      o.addProperty("p99", BenchStats.quantile(v, 0.99));
      o.addProperty("max", BenchStats.quantile(v, 1));
    }
    return o;
  }

  private static double[] values(List<Double> ms) {
    return ms.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
