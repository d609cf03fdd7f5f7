package io.fedbase.cli.bench;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.fedbase.bundle.AtomicFiles;
import io.fedbase.cli.BuildInfo;
import io.fedbase.cli.ShellWords;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.engine.CpuBudget;
import io.fedbase.engine.EngineWork;
import io.fedbase.engine.ThreadTuner;
import io.fedbase.space.Digests;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;

/**
 * How every benchmark ends: its result with the provenance a reader needs to trust or repeat it
 * (the full command line, fedbase's version and commit, the inputs with SHA-256 of every file, the
 * machine's CPUs and the engine threads used), printed as one JSON line last and, with an output
 * directory, written to {@code results.json} and {@code results.md}.
 */
public final class BenchReport {

  private final List<String> commandLine;
  private final Instant started = Instant.now();
  private final long startNanos = System.nanoTime();
  private final String threadsSetting;
  private final JsonArray inputs = new JsonArray();

  private BenchReport(List<String> commandLine, String threadsSetting) {
    this.commandLine = commandLine;
    this.threadsSetting = threadsSetting;
  }

  /** Starts the report of the benchmark {@code spec} describes, as it was invoked. */
  static BenchReport start(CommandSpec spec) {
    List<String> line = new ArrayList<>();
    line.add("fedbase");
    line.addAll(spec.root().commandLine().getParseResult().originalArgs());
    CommandSpec threads = spec.mixins().get(ThreadsOption.MIXIN);
    String setting = threads != null && threads.userObject() instanceof ThreadsOption t ? t.threads : null;
    return new BenchReport(line, setting);
  }

  /** Records an input file with its size and SHA-256, e.g. a prior; returns this report. */
  BenchReport inputFile(String role, Path file) {
    JsonObject in = new JsonObject();
    in.addProperty("role", role);
    in.addProperty("path", file.toAbsolutePath().normalize().toString());
    try {
      in.addProperty("bytes", Files.size(file));
      in.addProperty("sha256", Digests.sha256Hex(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the benchmark's input " + file, e);
    }
    inputs.add(in);
    return this;
  }

  /** Records an input dataset by its specification and class selection; returns this report. */
  BenchReport inputData(String role, String dataSpec, String classes) {
    JsonObject in = new JsonObject();
    in.addProperty("role", role);
    in.addProperty("data", dataSpec);
    in.addProperty("classes", classes == null ? "all" : classes);
    inputs.add(in);
    return this;
  }

  /** The provenance as JSON: what ran, where, on what, with which threads. */
  JsonObject provenance() {
    JsonObject p = new JsonObject();
    JsonArray command = new JsonArray();
    commandLine.forEach(command::add);
    p.add("command", command);
    BuildInfo build = BuildInfo.current();
    p.addProperty("fedbase_version", build.version());
    p.addProperty("fedbase_commit", build.commit());
    p.addProperty("uncommitted_changes", build.uncommittedChanges());
    p.add("inputs", inputs.deepCopy());
    CpuBudget budget = CpuBudget.detect();
    p.addProperty("cpus_online", Runtime.getRuntime().availableProcessors());
    p.addProperty("cpu_budget", budget.describe());
    ThreadTuner tuner = EngineWork.tuner();
    if (threadsSetting != null) {
      p.addProperty("threads_setting", threadsSetting);
    }
    p.addProperty("engine_threads", tuner == null ? "engine not used in this process" : tuner.describe());
    p.addProperty("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    p.addProperty("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    p.addProperty("started", started.toString());
    p.addProperty("seconds", Math.round((System.nanoTime() - startNanos) / 1e8) / 10.0);
    return p;
  }

  /**
   * Adds the provenance to {@code result}; with {@code out}, writes results.json and results.md
   * ({@code markdown} followed by the provenance); then prints the result as the last line.
   */
  void finish(JsonObject result, Path out, String markdown) throws IOException {
    result.add("provenance", provenance());
    if (out != null) {
      Files.createDirectories(out);
      AtomicFiles.writeString(out.resolve("results.json"), new GsonBuilder().setPrettyPrinting().create().toJson(result) + "\n");
      AtomicFiles.writeString(out.resolve("results.md"), (markdown == null ? "" : markdown + "\n") + markdown(result.getAsJsonObject("provenance")));
    }
    System.out.println(result);
  }

  /** The provenance as a Markdown section. */
  static String markdown(JsonObject p) {
    StringBuilder sb = new StringBuilder("## Provenance\n\n");
    List<String> command = new ArrayList<>();
    p.getAsJsonArray("command").forEach(e -> command.add(e.getAsString()));
    sb.append("- command: `").append(ShellWords.join(command)).append("`\n");
    sb.append("- fedbase ").append(p.get("fedbase_version").getAsString()).append(", commit ").append(p.get("fedbase_commit").getAsString())
        .append(p.get("uncommitted_changes").getAsBoolean() ? " with uncommitted changes" : "").append('\n');
    for (var e : p.getAsJsonArray("inputs")) {
      JsonObject in = e.getAsJsonObject();
      if (in.has("sha256")) {
        sb.append(String.format(Locale.ROOT, "- %s: `%s` (%,d bytes, SHA-256 %s)%n", in.get("role").getAsString(), in.get("path").getAsString(),
            in.get("bytes").getAsLong(), in.get("sha256").getAsString()));
      } else {
        sb.append(String.format(Locale.ROOT, "- %s: %s, classes %s%n", in.get("role").getAsString(), in.get("data").getAsString(), in.get("classes").getAsString()));
      }
    }
    sb.append("- machine: ").append(p.get("cpus_online").getAsInt()).append(" CPUs online, budget ").append(p.get("cpu_budget").getAsString())
        .append("; ").append(p.get("os").getAsString()).append("; ").append(p.get("java").getAsString()).append('\n');
    sb.append("- engine threads: ").append(p.has("threads_setting") ? "--threads " + p.get("threads_setting").getAsString() + "; " : "")
        .append(p.get("engine_threads").getAsString()).append('\n');
    sb.append("- started ").append(p.get("started").getAsString()).append(", took ").append(p.get("seconds").getAsDouble()).append(" s\n");
    return sb.toString();
  }
}
