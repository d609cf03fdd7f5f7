package io.fedbase.node.metrics;

import io.fedbase.learn.BatchResult;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.wire.Assignment;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.Counter;
import io.prometheus.client.Gauge;
import io.prometheus.client.Histogram;

/** A node's Prometheus metrics (listed in README.md, "Watching a coordinator"), fed by its runtime's events; labels are bounded. */
public final class NodeMetrics implements NodeListener {

  private final Counter rounds;
  private final Histogram adaptSeconds;
  private final Histogram innerStepSeconds;
  private final Gauge loss;
  private final Gauge accuracy;
  private final Counter uploadBytes;
  private final Counter retries;
  private final Gauge priorVersion;
  private final Counter workerCrashes;
  private final Counter workerStarts;
  private final Gauge workerCrashesInARow;
  private final Gauge deviceInfo;

  public NodeMetrics(CollectorRegistry registry) {
    rounds = Counter.build("fedbase_node_rounds_total", "Rounds this node worked on, by outcome.").labelNames("outcome").register(registry);
    adaptSeconds =
        Histogram.build("fedbase_node_adaptation_seconds", "Time to adapt the prior to one round's tasks.")
            .exponentialBuckets(0.25, 2, 14)
            .register(registry);
    innerStepSeconds =
        Histogram.build("fedbase_node_inner_step_seconds", "Mean inner-step time of a round (adaptation time / steps).")
            .exponentialBuckets(0.005, 2, 12)
            .register(registry);
    loss = Gauge.build("fedbase_node_task_loss", "Mean support loss of the last round, before and after adaptation.").labelNames("when").register(registry);
    accuracy = Gauge.build("fedbase_node_task_accuracy", "Mean query accuracy after adaptation in the last round.").register(registry);
    uploadBytes = Counter.build("fedbase_node_upload_bytes_total", "Delta payload bytes accepted by the coordinator.").register(registry);
    retries = Counter.build("fedbase_node_retries_total", "Reconnects and upload retries.").labelNames("kind").register(registry);
    priorVersion = Gauge.build("fedbase_node_prior_version", "Prior version of the last round worked on.").register(registry);
    workerCrashes = Counter.build("fedbase_node_worker_crashes_total", "Worker processes that died (native crash, SIGKILL, out of memory).").register(registry);
    workerStarts = Counter.build("fedbase_node_worker_starts_total", "Worker processes started.").register(registry);
    workerCrashesInARow =
        Gauge.build("fedbase_node_worker_crashes_in_a_row", "Worker crashes since the last round that went well (restarts back off while above 1).")
            .register(registry);
    deviceInfo =
        Gauge.build("fedbase_node_device_info", "1 for the device this node's adaptations run on (cpu or gpuN), what --device asked and the libtorch version.")
            .labelNames("device", "choice", "libtorch")
            .register(registry);
    rounds.labels("done");
    rounds.labels("skipped");
    retries.labels("reconnect");
    retries.labels("upload");
  }

  @Override
  public synchronized void deviceSelected(TrainingDevice device) {
    // a replacement worker may pick another device (a GPU that came back): one series at a time
    deviceInfo.clear();
    deviceInfo.labels(device.name(), device.choice(), device.libtorch()).set(1);
  }

  @Override
  public void roundDone(Assignment task, BatchResult r, double seconds, long bytes) {
    rounds.labels("done").inc();
    adaptSeconds.observe(seconds);
    int steps = Math.max(1, r.tasks() * task.inner().steps());
    innerStepSeconds.observe(seconds / steps);
    loss.labels("before").set(r.supportLossBefore());
    loss.labels("after").set(r.supportLossAfter());
    accuracy.set(r.queryAccuracy());
    uploadBytes.inc(bytes);
    priorVersion.set(task.priorVersion());
  }

  @Override
  public void roundSkipped(Assignment task, String reason) {
    rounds.labels("skipped").inc();
  }

  @Override
  public void workerStarted(long pid) {
    workerStarts.inc();
  }

  @Override
  public void workerCrashed(String status, int inARow) {
    workerCrashes.inc();
    workerCrashesInARow.set(inARow);
  }

  @Override
  public void workerHealthy() {
    workerCrashesInARow.set(0);
  }

  @Override
  public void uploadRetried() {
    retries.labels("upload").inc();
  }

  @Override
  public void disconnected(String reason, long retryInMillis) {
    retries.labels("reconnect").inc();
  }
}
