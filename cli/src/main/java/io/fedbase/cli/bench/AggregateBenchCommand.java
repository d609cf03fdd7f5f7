package io.fedbase.cli.bench;

import com.google.gson.JsonObject;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DoubleFold;
import io.fedbase.bundle.WeightedSum;
import io.fedbase.cli.ProcStatus;
import io.fedbase.coordinator.aggregate.RoundAggregate;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.meta.FiniteDifferenceUpdate;
import io.fedbase.space.TensorSpec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench aggregate}: folding N uploads of M float32 values into the round's running weighted
 * sum and applying the meta-update, against a plain memory copy of the same bytes from N distinct
 * arrays in the same run (the memory-bandwidth reference; a copy of one cache-resident array N times
 * is reported beside it).
 * Two paths are timed: the coordinator's real one (staged upload files merged by {@code
 * RoundAggregate}) and the in-memory fold alone ({@code WeightedSum}).
 */
@Command(
    name = "aggregate",
    mixinStandardHelpOptions = true,
    description = "Aggregation throughput (GB/s of delta data) and peak heap vs. a plain copy of the same bytes.")
public final class AggregateBenchCommand implements Callable<Integer> {

  private static final int LOGITS = 64;

  @Option(names = "--nodes", defaultValue = "16", description = "Uploads per round N (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--params", defaultValue = "1000000", description = "Float32 values per upload M (default: ${DEFAULT-VALUE}).")
  int params;

  @Option(names = "--repeat", defaultValue = "5", description = "Timed rounds; the median is reported (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(
      names = "--batch",
      description = "Uploads the coordinator folds together (default: the coordinator's, ${DEFAULT-VALUE}).",
      defaultValue = "" + RoundAggregate.DEFAULT_BATCH)
  int batch;

  @Option(names = "--scalar", description = "Fold with the plain loop even where the vectorized one is available.")
  boolean scalar;

  @Option(names = "--dir", description = "Where staged uploads are written (default: a temporary directory).")
  Path dir;

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (nodes < 1 || params <= LOGITS || repeat < 1 || batch < 1) {
      throw new IllegalArgumentException("--nodes, --repeat and --batch must be at least 1 and --params more than " + LOGITS);
    }
    BundleLayout layout =
        new BundleLayout("bench-aggregate", List.of(TensorSpec.weight("w", params - LOGITS), TensorSpec.logits("alpha", 8, LOGITS / 8)));
    Path staging = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("fedbase-bench-aggregate");
    float[] values = new float[params];
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (rng.nextGaussian() * 1e-3);
    }
    ByteBuffer payload = ByteBuffer.allocate(params * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    payload.asFloatBuffer().put(values);
    DoubleFold kernel = scalar ? DoubleFold.scalar() : DoubleFold.fastest();
    Bundle prior = Bundle.zeros(layout);
    double bytes = (double) nodes * params * Float.BYTES;

    // the reference and the in-memory fold read N distinct arrays, as the merge reads N distinct uploads
    float[][] sources = new float[nodes][];
    for (int n = 0; n < nodes; n++) {
      sources[n] = values.clone();
    }
    double[] copy = new double[repeat];
    double[] copyCached = new double[repeat];
    double[] fold = new double[repeat];
    float[] target = new float[params];
    for (int r = 0; r < repeat; r++) {
      long t0 = System.nanoTime();
      for (int n = 0; n < nodes; n++) {
        System.arraycopy(sources[n], 0, target, 0, params);
      }
      copy[r] = (System.nanoTime() - t0) / 1e9;

      t0 = System.nanoTime();
      for (int n = 0; n < nodes; n++) {
        System.arraycopy(values, 0, target, 0, params);
      }
      copyCached[r] = (System.nanoTime() - t0) / 1e9;

      t0 = System.nanoTime();
      WeightedSum sum = new WeightedSum(layout, kernel);
      for (int n = 0; n < nodes; n++) {
        sum.addSlice(0, FloatBuffer.wrap(sources[n]), 1 + n % 3);
        sum.added(1 + n % 3);
      }
      sum.result();
      fold[r] = (System.nanoTime() - t0) / 1e9;
    }
    sources = null;

    double[] merge = new double[repeat];
    long peakHeap = 0;
    for (int r = 0; r < repeat; r++) {
      List<StagedUpdate> staged = stage(staging, payload, layout);
      System.gc();
      resetHeapPeaks();
      long t0 = System.nanoTime();
      RoundAggregate aggregate = new RoundAggregate(layout, true, batch, kernel);
      for (StagedUpdate u : staged) {
        aggregate.merge(u);
      }
      FiniteDifferenceUpdate.defaults().step(prior, aggregate.result(), 0, 1);
      merge[r] = (System.nanoTime() - t0) / 1e9;
      peakHeap = Math.max(peakHeap, heapPeak());
    }
    if (dir == null) {
      Files.deleteIfExists(staging);
    }
    double copyS = BenchStats.median(copy);
    double copyCachedS = BenchStats.median(copyCached);
    double foldS = BenchStats.median(fold);
    double mergeS = BenchStats.median(merge);
    JsonObject json = new JsonObject();
    json.addProperty("benchmark", "aggregate");
    json.addProperty("nodes", nodes);
    json.addProperty("params", params);
    json.addProperty("batch", batch);
    json.addProperty("delta_mib", bytes / 1048576.0);
    json.addProperty("fold_kernel", kernel.name());
    json.addProperty("copy_gbps", bytes / copyS / 1e9);
    json.addProperty("copy_cached_gbps", bytes / copyCachedS / 1e9);
    json.addProperty("fold_seconds", foldS);
    json.addProperty("fold_gbps", bytes / foldS / 1e9);
    json.addProperty("merge_seconds", mergeS);
    json.addProperty("merge_gbps", bytes / mergeS / 1e9);
    json.addProperty("fold_vs_copy", copyS / foldS);
    json.addProperty("merge_vs_copy", copyS / mergeS);
    json.addProperty("merge_peak_heap_mib", peakHeap / 1048576.0);
    json.addProperty("model_mib", params * (double) Float.BYTES / 1048576.0);
    json.addProperty("peak_rss_mib", ProcStatus.peakRssKib() / 1024.0);
    System.out.printf(
        Locale.ROOT,
        "%d uploads x %,d floats (%.0f MiB), %s fold: copy %.2f GB/s (one cached source: %.2f); in-memory fold %.2f GB/s (%.0f%% of copy); merge of staged uploads + meta-update %.2f GB/s (%.0f%%); peak heap during the merge %.0f MiB%n",
        nodes, params, bytes / 1048576.0, kernel.name(), bytes / copyS / 1e9, bytes / copyCachedS / 1e9, bytes / foldS / 1e9, 100 * copyS / foldS, bytes / mergeS / 1e9, 100 * copyS / mergeS,
        peakHeap / 1048576.0);
    report.finish(json, null, null);
    return 0;
  }

  private List<StagedUpdate> stage(Path staging, ByteBuffer payload, BundleLayout layout) throws IOException {
    List<StagedUpdate> out = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      Path file = staging.resolve("upload-" + n + ".part");
      try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
          java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = payload.duplicate();
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
      UpdateHeaderFields header =
          new UpdateHeaderFields(1, "node-" + n, 0, 1 + n % 3, layout.specHash(), java.util.Optional.of(io.fedbase.encoding.DeltaEncoding.FLOAT32), (long) params * Float.BYTES, 0, 0, 0);
      out.add(new StagedUpdate(header, file, params, 0, 0, ""));
    }
    return out;
  }

  private static void resetHeapPeaks() {
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        pool.resetPeakUsage();
      }
    }
  }

  /** Sum of the heap pools' peak usage since the last reset. */
  private static long heapPeak() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum;
  }
}
