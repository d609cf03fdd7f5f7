package io.fedbase.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.cli.FedbaseCli;
import io.fedbase.cli.Ports;
import io.fedbase.cli.Progress;
import io.fedbase.cli.SelfCommand;
import io.fedbase.cli.StopSignals;
import io.fedbase.engine.CpuBudget;
import io.fedbase.engine.StopRequest;
import io.fedbase.node.train.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench soak}: the real training paths as several concurrent processes for a given time
 * (local meta-training, a federated node beside a coordinator, a derived network's training), each
 * stopped with SIGTERM at a random moment and started again (training resuming from its
 * checkpoint), nodes' worker processes killed now and then, and every file a stopped process left
 * verified. Reports process-minutes, work done, the slowdown against a solo run, crashes and crash
 * reports. {@code --fedbase-jar} soaks another build the same way, for comparison.
 */
@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Stop and restart training processes at random for a while; count crashes and damaged files.",
      "Runs concurrent meta-train, node and train processes, stops them with SIGTERM at random and restarts",
      "them, kills node workers; reports process-minutes, work, slowdown against solo and crashes."
    })
public final class SoakBenchCommand implements Callable<Integer> {

  /** The training processes the soak cycles through. */
  private enum Kind {
    META_TRAIN,
    NODE,
    TRAIN
  }

  @Option(names = "--minutes", defaultValue = "10", description = "How long the soak runs (default: ${DEFAULT-VALUE}).")
  double minutes;

  @Option(names = "--processes", defaultValue = "4", description = "Training processes at once (default: ${DEFAULT-VALUE}).")
  int processes;

  @Option(
      names = "--stop-after",
      defaultValue = "60",
      description = "Mean seconds a process runs before its SIGTERM (uniform in 0.2x..1.8x) (default: ${DEFAULT-VALUE}).")
  double stopAfter;

  @Option(
      names = "--kill-worker-every",
      defaultValue = "90",
      description = "Seconds between kills of a node's worker process (SIGKILL and SIGSEGV in turn); 0 = never (default: ${DEFAULT-VALUE}).")
  double killWorkerEvery;

  @Option(names = "--calibration-rounds", defaultValue = "8", description = "Rounds of the solo meta-train run that sets the baseline (default: ${DEFAULT-VALUE}).")
  int calibrationRounds;

  @Option(names = "--fedbase-jar", description = "Soak this build (a fedbase.jar) instead of the running one, e.g. an older release.")
  Path otherJar;

  @Option(names = "--out", required = true, description = "Directory for the processes' files, logs and results.")
  Path out;

  @Option(names = "--seed", defaultValue = "0", description = "Seed of the stop times and kills (default: ${DEFAULT-VALUE}).")
  long seed;

  private Path logs;
  private Path crashReports;
  private final List<JsonObject> ended = new ArrayList<>();

  /** One running training process of a slot. */
  private record Run(Kind kind, String name, Process process, Path dir, long startNanos, long stopAtNanos, long[] signalledAt) {}

  @Spec CommandSpec command;

  @Override
  public Integer call() throws Exception {
    BenchReport report = BenchReport.start(command);
    if (processes < 1 || minutes <= 0 || stopAfter <= 0 || calibrationRounds < 2) {
      throw new IllegalArgumentException("--processes, --minutes, --stop-after must be positive and --calibration-rounds at least 2");
    }
    if (Files.exists(out) && Files.list(out).findAny().isPresent()) {
      throw new IllegalArgumentException(out + " is not empty; choose a new --out");
    }
    // a SIGTERM ends the soak's loop; its children get theirs in the finally below
    StopSignals.install(FedbaseCli.STOP_GRACE);
    logs = Files.createDirectories(out.resolve("logs"));
    crashReports = Files.createDirectories(out.resolve("crash-reports"));
    SplittableRandom rng = new SplittableRandom(seed);

    System.out.println("soak: calibrating with a solo meta-train of " + calibrationRounds + " rounds");
    Path calibration = out.resolve("calibration");
    Process solo = start("calibration", metaTrain(calibration, calibrationRounds));
    if (solo.waitFor() != 0) {
      throw new IllegalStateException("the solo meta-train failed; see " + logs.resolve("calibration.log"));
    }
    double soloSeconds = median(roundSeconds(calibration));
    Path genotype = calibration.resolve("genotype.json");

    int port = Ports.freeLoopbackPort();
    Process coordinator =
        start(
            "coordinator",
            List.of(
                "coordinator", "--insecure", "--bind", "127.0.0.1", "--port", Integer.toString(port), "--metrics-port", "-1", "--state-dir",
                out.resolve("coordinator-state").toString(), "--min-nodes", "1", "--quorum", "1", "--ways", "2", "--tasks-per-node", "4",
                "--shots", "5", "--queries", "5", "--inner-steps", "5", "--round-deadline", "60s", "--rounds", "1000000"));

    long end = System.nanoTime() + (long) (minutes * 60e9);
    Run[] slots = new Run[processes];
    int[] generation = new int[processes];
    long nextKill = killWorkerEvery > 0 ? System.nanoTime() + (long) (killWorkerEvery * 1e9) : Long.MAX_VALUE;
    int kills = 0;
    System.out.printf(Locale.ROOT, "soak: %d processes for %.1f min (solo meta-train %.2f s/round)%n", processes, minutes, soloSeconds);
    try (Progress progress = Progress.start("soak", (long) (minutes * 60))) {
      while (System.nanoTime() < end && !StopRequest.requested()) {
        long now = System.nanoTime();
        for (int i = 0; i < processes; i++) {
          Run run = slots[i];
          if (run == null) {
            slots[i] = launch(i, generation[i]++, genotype, port, rng);
          } else if (!run.process().isAlive()) {
            finish(run);
            slots[i] = launch(i, generation[i]++, genotype, port, rng);
          } else if (run.signalledAt()[0] == 0 && now >= run.stopAtNanos()) {
            run.signalledAt()[0] = now;
            run.process().destroy();
          } else if (run.signalledAt()[0] != 0 && now - run.signalledAt()[0] > TimeUnit.SECONDS.toNanos(60)) {
            // hung after SIGTERM: counted as a failure in finish()
            run.process().destroyForcibly();
          }
        }
        if (now >= nextKill) {
          if (killAWorker(slots, kills % 2 == 0 ? "KILL" : "SEGV")) {
            kills++;
            nextKill = now + (long) (killWorkerEvery * 1e9 * (0.5 + rng.nextDouble()));
          } else {
            // no node has a worker right now: try again in a second
            nextKill = now + TimeUnit.SECONDS.toNanos(1);
          }
        }
        progress.update((long) ((now - (end - (long) (minutes * 60e9))) / 1e9), ended.size() + " processes ended, " + kills + " workers killed");
        Thread.sleep(200);
      }
    } finally {
      for (Run run : slots) {
        if (run != null) {
          run.signalledAt()[0] = System.nanoTime();
          run.process().destroy();
        }
      }
      for (Run run : slots) {
        if (run != null) {
          run.process().waitFor(90, TimeUnit.SECONDS);
          run.process().destroyForcibly();
          finish(run);
        }
      }
      coordinator.destroy();
      coordinator.waitFor(60, TimeUnit.SECONDS);
      coordinator.destroyForcibly();
    }
    JsonObject result = summarize(soloSeconds, kills, coordinator.exitValue());
    System.out.print(markdown(result));
    report.finish(result, out, markdown(result));
    return result.get("crashes").getAsInt() == 0 && result.get("damaged_files").getAsInt() == 0 ? 0 : 1;
  }

  private Run launch(int slot, int generation, Path genotype, int port, SplittableRandom rng) throws IOException {
    Kind kind = Kind.values()[(slot + generation) % Kind.values().length];
    String name = String.format(Locale.ROOT, "s%d-g%03d-%s", slot, generation, kind.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    // train resumes the slot's interrupted run from its checkpoint; the others start fresh
    Path dir = kind == Kind.TRAIN ? out.resolve("train-slot-" + slot) : out.resolve(name);
    List<String> args =
        switch (kind) {
          case META_TRAIN -> metaTrain(dir, 1_000_000);
          case NODE -> List.of(
              "node", "--insecure", "--coordinator", "127.0.0.1:" + port, "--node-id", "soak-" + slot + "-" + generation, "--data",
              "fashion-mnist:test", "--classes", "0-1", "--metrics-port", "-1", "--cache-dir", out.resolve("node-cache").toString());
          case TRAIN -> {
            List<String> a = new ArrayList<>(List.of(
                "train", "--genotype", genotype.toString(), "--data", "fashion-mnist:test", "--classes", "0-3", "--max-per-class", "100",
                "--channels", "8", "--cells", "3", "--epochs", "100000", "--out", dir.toString()));
            if (Files.exists(dir.resolve("checkpoint.fbb"))) {
              a.add("--resume");
            }
            yield a;
          }
        };
    long now = System.nanoTime();
    long stopAt = now + (long) (stopAfter * (0.2 + 1.6 * rng.nextDouble()) * 1e9);
    return new Run(kind, name, start(name, args), dir, now, stopAt, new long[1]);
  }

  private List<String> metaTrain(Path dir, int rounds) {
    return List.of(
        "meta-train", "--data", "fashion-mnist:test", "--classes", "0-5", "--rounds", Integer.toString(rounds), "--save-every", "5", "--out",
        dir.toString());
  }

  private Process start(String name, List<String> args) throws IOException {
    List<String> command = SelfCommand.of(otherJar, crashReports);
    command.addAll(args);
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile()).start();
  }

  /** Records how a process ended and checks every file it left. */
  private void finish(Run run) throws IOException {
    int status = run.process().exitValue();
    String log = Files.readString(logs.resolve(run.name() + ".log"));
    JsonObject e = new JsonObject();
    e.addProperty("name", run.name());
    e.addProperty("kind", run.kind().name());
    e.addProperty("exit", status);
    e.addProperty("seconds", (System.nanoTime() - run.startNanos()) / 1e9);
    boolean signalled = run.signalledAt()[0] != 0;
    e.addProperty("stop_seconds", signalled ? (System.nanoTime() - run.signalledAt()[0]) / 1e9 : -1);
    // a JVM crash leaves a report named by its pid and aborts (134); a clean stop is 143 or 130. (A
    // node's log also holds its worker's output, so a deliberately killed worker's report text is there.)
    boolean crashed = Files.exists(crashReports.resolve("hs_err_pid" + run.process().pid() + ".log")) || !(status == 0 || status == 143 || status == 130);
    e.addProperty("crashed", crashed);
    e.addProperty("damaged_files", damagedFiles(run.dir()));
    if (run.kind() == Kind.META_TRAIN) {
      e.add("round_seconds", toJson(roundSeconds(run.dir())));
    }
    if (run.kind() == Kind.NODE) {
      e.addProperty("node_rounds", log.lines().filter(l -> l.contains(" tasks, loss ")).count());
      // the node's own line per death ("node ID: the worker process died (exit ...), N in a row")
      e.addProperty(
          "worker_crashes_seen", log.lines().filter(l -> l.startsWith("node ") && l.contains(": the worker process died (") && l.endsWith(" in a row")).count());
    }
    if (run.kind() == Kind.TRAIN && Files.exists(run.dir().resolve(ModelFiles.CHECKPOINT_FILE))) {
      e.addProperty("train_dir", run.dir().toString());
      e.addProperty("checkpoint_epochs", ModelFiles.readCheckpoint(run.dir()).epochsDone());
    }
    ended.add(e);
  }

  /** Bundle files under {@code dir} that do not verify, and temporary files left behind. */
  private static int damagedFiles(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    int damaged = 0;
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String n = f.getFileName().toString();
        if (n.endsWith(".tmp")) {
          damaged++;
        } else if (n.endsWith(".fbb")) {
          try {
            BundleFiles.read(f);
          } catch (IOException ex) {
            damaged++;
          }
        }
      }
    }
    return damaged;
  }

  /** Kills the worker of a running node with {@code signal}; false when no node has one right now. */
  private boolean killAWorker(Run[] slots, String signal) throws IOException, InterruptedException {
    for (Run run : slots) {
      if (run == null || run.kind() != Kind.NODE || !run.process().isAlive()) {
        continue;
      }
      // a node's only Java child is its worker (whose command line may be too long for the JDK to show)
      List<ProcessHandle> workers =
          run.process().toHandle().children().filter(c -> c.info().command().orElse("").endsWith("/java")).toList();
      for (ProcessHandle w : workers) {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(w.pid())).redirectErrorStream(true).start();
        kill.getInputStream().readAllBytes();
        return kill.waitFor() == 0;
      }
    }
    return false;
  }

  private static List<Double> roundSeconds(Path dir) throws IOException {
    Path rounds = dir.resolve("rounds.jsonl");
    List<Double> seconds = new ArrayList<>();
    if (!Files.exists(rounds)) {
      return seconds;
    }
    List<String> lines = Files.readAllLines(rounds);
    // the first round pays for JIT and allocator warm-up; a torn last line (a kill) is skipped
    for (int i = 1; i < lines.size(); i++) {
      try {
        seconds.add(JsonParser.parseString(lines.get(i)).getAsJsonObject().get("seconds").getAsDouble());
      } catch (RuntimeException ignored) {
        // not a whole line
      }
    }
    return seconds;
  }

  private JsonObject summarize(double soloSeconds, int kills, int coordinatorExit) throws IOException {
    JsonObject r = new JsonObject();
    r.addProperty("benchmark", "soak");
    r.addProperty("build", otherJar == null ? "this build" : otherJar.toString());
    r.addProperty("cpus", CpuBudget.detect().describe());
    r.addProperty("threads", System.getenv().getOrDefault("FEDBASE_THREADS", "auto (default)"));
    r.addProperty("minutes", minutes);
    r.addProperty("processes", processes);
    double processSeconds = ended.stream().mapToDouble(e -> e.get("seconds").getAsDouble()).sum();
    r.addProperty("process_minutes", processSeconds / 60);
    r.addProperty("processes_run", ended.size());
    r.addProperty("stopped_by_sigterm", ended.stream().filter(e -> e.get("exit").getAsInt() == 143).count());
    r.addProperty("crashes", ended.stream().filter(e -> e.get("crashed").getAsBoolean()).count());
    List<String> reports;
    try (Stream<Path> files = Files.list(crashReports)) {
      reports = files.map(f -> f.getFileName().toString()).toList();
    }
    r.addProperty("crash_reports", reports.size());
    try (Stream<Path> files = Files.exists(out.resolve("node-cache/worker-crashes")) ? Files.list(out.resolve("node-cache/worker-crashes")) : Stream.empty()) {
      r.addProperty("worker_crash_reports_from_sigsegv_kills", files.count());
    }
    r.addProperty("damaged_files", ended.stream().mapToInt(e -> e.get("damaged_files").getAsInt()).sum());
    r.addProperty("max_stop_seconds", ended.stream().mapToDouble(e -> e.get("stop_seconds").getAsDouble()).max().orElse(0));
    r.addProperty("workers_killed", kills);
    r.addProperty("worker_deaths_seen_by_nodes", ended.stream().filter(e -> e.has("worker_crashes_seen")).mapToLong(e -> e.get("worker_crashes_seen").getAsLong()).sum());
    List<Double> soaked = new ArrayList<>();
    ended.stream().filter(e -> e.has("round_seconds")).forEach(e -> e.get("round_seconds").getAsJsonArray().forEach(x -> soaked.add(x.getAsDouble())));
    r.addProperty("meta_train_rounds", soaked.size());
    r.addProperty("node_rounds", ended.stream().filter(e -> e.has("node_rounds")).mapToLong(e -> e.get("node_rounds").getAsLong()).sum());
    // each train slot resumes one run: its last checkpoint counts its epochs
    java.util.Map<String, Integer> epochs = new java.util.HashMap<>();
    ended.stream().filter(e -> e.has("checkpoint_epochs")).forEach(e -> epochs.put(e.get("train_dir").getAsString(), e.get("checkpoint_epochs").getAsInt()));
    r.addProperty("train_epochs", epochs.values().stream().mapToInt(Integer::intValue).sum());
    r.addProperty("coordinator_exit", coordinatorExit);
    r.addProperty("solo_seconds_per_round", soloSeconds);
    double soakedMedian = median(soaked);
    r.addProperty("soak_seconds_per_round_median", soakedMedian);
    r.addProperty("slowdown_vs_solo", soakedMedian / soloSeconds);
    r.addProperty("fair_slowdown", (double) processes / CpuBudget.detect().cpus());
    JsonArray all = new JsonArray();
    ended.forEach(all::add);
    r.add("processes_detail", all);
    return r;
  }

  private static String markdown(JsonObject r) {
    StringBuilder s = new StringBuilder();
    s.append("| soak | value |\n|---|---|\n");
    for (String key : List.of(
        "build", "cpus", "minutes", "processes", "process_minutes", "processes_run", "stopped_by_sigterm", "crashes", "crash_reports",
        "worker_crash_reports_from_sigsegv_kills", "damaged_files", "max_stop_seconds", "workers_killed", "worker_deaths_seen_by_nodes",
        "meta_train_rounds", "node_rounds", "train_epochs", "solo_seconds_per_round", "soak_seconds_per_round_median", "slowdown_vs_solo",
        "fair_slowdown")) {
      String v = r.get(key).isJsonPrimitive() && r.get(key).getAsJsonPrimitive().isNumber()
          ? String.format(Locale.ROOT, "%.3g", r.get(key).getAsDouble())
          : r.get(key).getAsString();
      s.append("| ").append(key).append(" | ").append(v).append(" |\n");
    }
    return s.toString();
  }

  private static JsonArray toJson(List<Double> values) {
    JsonArray a = new JsonArray();
    values.forEach(a::add);
    return a;
  }

  private static double median(List<Double> values) {
    return values.isEmpty() ? Double.NaN : BenchStats.median(values.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
