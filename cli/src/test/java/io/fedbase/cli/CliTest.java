package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.cli.option.FederationOptions;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands as a user runs them, in process, on real Fashion-MNIST. */
class CliTest {

  @TempDir Path dir;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void everyCommandHasHelp() {
    for (List<String> cmd :
        List.of(
            List.<String>of(),
            List.of("demo"),
            List.of("coordinator"),
            List.of("node"),
            List.of("status"),
            List.of("prior"),
            List.of("prior", "fetch"),
            List.of("prior", "info"),
            List.of("adapt"),
            List.of("meta-train"),
            List.of("bench"),
            List.of("bench", "adaptation"),
            List.of("bench", "inner-step"),
            List.of("bench", "genotypes"),
            List.of("bench", "ranking"),
            List.of("bench", "aggregate"),
            List.of("bench", "round"),
            List.of("bench", "transfer"),
            List.of("train"),
            List.of("evaluate"),
            List.of("ca"),
            List.of("ca", "init"),
            List.of("ca", "issue"),
            List.of("ca", "revoke"),
            List.of("ca", "list"),
            List.of("admin"),
            List.of("admin", "pause"),
            List.of("admin", "remove-node"),
            List.of("admin", "rollback"),
            List.of("prior", "compare"))) {
      String[] args = new java.util.ArrayList<>(cmd) {{ add("--help"); }}.toArray(String[]::new);
      CliRun r = run(args);
      assertEquals(0, r.exit(), String.join(" ", args));
      assertTrue(r.out().contains("Usage: fedbase"), r.out());
    }
  }

  @Test
  void badInputGivesOneClearLineAndExitTwo() throws IOException {
    // this machine has no GPU and the default build's libtorch is CPU-only
    CliRun gpu = run("bench", "inner-step", "--device", "gpu", "--steps", "1", "--warmup", "0");
    assertEquals(2, gpu.exit(), gpu.err());
    assertTrue(gpu.err().contains("error: --device gpu was asked for, but this build's libtorch") && gpu.err().contains("CPU-only: build with -Pcuda"), gpu.err());
    assertTrue(!gpu.err().contains("\tat "), "no stack trace");
    // a node whose worker process cannot use the device stops at start with that one line
    CliRun node =
        run("node", "--insecure", "--coordinator", "127.0.0.1:1", "--node-id", "n1", "--data", "fashion-mnist", "--classes", "0-1", "--device", "gpu",
            "--metrics-port", "-1", "--cache-dir", dir.resolve("node-cache").toString());
    assertEquals(2, node.exit(), node.out() + node.err());
    assertTrue(node.err().contains("error: --device gpu was asked for, but this build's libtorch"), node.err());
    CliRun auto = run("bench", "inner-step", "--steps", "1", "--warmup", "0");
    assertEquals(0, auto.exit(), auto.err());
    assertTrue(auto.err().contains("device: cpu (auto; libtorch ") && auto.err().contains("(CPU build) sees no GPU)"), "auto says what it picked: " + auto.err());

    CliRun missing = run("meta-train", "--data", "idx:" + dir.resolve("none"), "--rounds", "1", "--out", dir.resolve("o").toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("error: missing IDX file"), missing.err());
    assertTrue(!missing.err().contains("\tat "), "no stack trace for bad input");

    CliRun classes = run("meta-train", "--data", "fashion-mnist", "--classes", "5-2", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, classes.exit());
    assertTrue(classes.err().contains("reversed range"), classes.err());

    CliRun tooFew = run("meta-train", "--data", "fashion-mnist", "--classes", "0-2", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, tooFew.exit());
    assertTrue(tooFew.err().contains("only 3 classes"), tooFew.err());

    Path corrupt = dir.resolve("corrupt.fbb");
    Files.writeString(corrupt, "FBBUNDLE but nothing else");
    CliRun init = run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--init", corrupt.toString(), "--out", dir.toString());
    assertEquals(2, init.exit());
    assertTrue(init.err().contains("corrupt.fbb"), init.err());

    CliRun profile = run("meta-train", "--data", "fashion-mnist", "--profile", "huge", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, profile.exit());
    assertTrue(profile.err().contains("unknown profile 'huge'"), profile.err());

    CliRun stack = run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--tasks-at-once", "0", "--out", dir.resolve("s").toString());
    assertEquals(2, stack.exit());
    assertTrue(stack.err().contains("--tasks-at-once must be between 1 and 64, got 0"), stack.err());

    CliRun usage = run("meta-train", "--rounds", "1");
    assertEquals(2, usage.exit(), "picocli's usage error");
    assertTrue(usage.err().contains("--data"), usage.err());
  }

  @Test
  void metaTrainWritesPriorsRoundLogAndGenotype() throws IOException {
    Path out = dir.resolve("run");
    CliRun r =
        run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "3", "--tasks-per-round", "2",
            "--queries", "5", "--save-every", "2", "--out", out.toString());
    assertEquals(0, r.exit(), r.err());
    List<String> rounds = Files.readAllLines(out.resolve("rounds.jsonl"));
    assertEquals(3, rounds.size());
    JsonObject first = JsonParser.parseString(rounds.get(0)).getAsJsonObject();
    assertEquals(1, first.get("round").getAsInt());
    assertTrue(first.has("support_loss_after") && first.has("tau") && first.has("genotype"), first.toString());
    assertTrue(Files.exists(out.resolve("prior-00002.fbb")));
    SupernetSpec small = SupernetSpec.profile("small");
    BundleFiles.read(out.resolve("prior-final.fbb"), io.fedbase.bundle.BundleLayout.of(small));
    GenotypeJson.read(out.resolve("genotype.json")).validate(small.operations(), small.nodes());
    assertTrue(r.out().contains("genotype: Genotype(normal=["), r.out());

    // resuming from the written prior works
    CliRun again =
        run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--tasks-per-round", "1",
            "--queries", "5", "--init", out.resolve("prior-final.fbb").toString(), "--out", dir.resolve("run2").toString());
    assertEquals(0, again.exit(), again.err());
  }

  @Test
  void benchmarksEndWithOneJsonLine() throws IOException {
    CliRun inner = run("bench", "inner-step", "--steps", "4", "--warmup", "1", "--batch", "8");
    assertEquals(0, inner.exit(), inner.err());
    JsonObject j = JsonParser.parseString(inner.lastLine()).getAsJsonObject();
    assertEquals("inner-step", j.get("benchmark").getAsString());
    assertTrue(j.get("ms_per_step_median").getAsDouble() > 0);
    assertEquals(90, j.get("logit_params").getAsInt());
    assertEquals("inner-step", j.getAsJsonObject("provenance").getAsJsonArray("command").get(2).getAsString(), "every bench records how it ran");
    CliRun stacked = run("bench", "inner-step", "--steps", "4", "--warmup", "1", "--batch", "8", "--tasks-at-once", "3");
    assertEquals(0, stacked.exit(), stacked.err());
    JsonObject s = JsonParser.parseString(stacked.lastLine()).getAsJsonObject();
    assertEquals(3, s.get("tasks_at_once").getAsInt());
    assertEquals(s.get("ms_per_step_median").getAsDouble() / 3, s.get("ms_per_task_step_median").getAsDouble(), 1e-9, "a pass steps three tasks");

    Path staging = dir.resolve("bench-staging");
    CliRun aggregate = run("bench", "aggregate", "--nodes", "3", "--params", "20000", "--repeat", "2", "--dir", staging.toString());
    assertEquals(0, aggregate.exit(), aggregate.err());
    JsonObject g = JsonParser.parseString(aggregate.lastLine()).getAsJsonObject();
    assertEquals("aggregate", g.get("benchmark").getAsString());
    assertTrue(g.get("merge_gbps").getAsDouble() > 0 && g.get("copy_gbps").getAsDouble() > 0);
    try (var left = Files.list(staging)) {
      assertEquals(0, left.count(), "merged uploads' staging files are deleted");
    }

    CliRun transfer =
        run("bench", "transfer", "--mb", "1", "--windows-kib", "256", "--repeat", "1", "--warmup", "1", "--upload-chunks-kib", "256,1024",
            "--ceiling-chunks-kib", "256");
    assertEquals(0, transfer.exit(), transfer.err());
    JsonObject window = JsonParser.parseString(transfer.lastLine()).getAsJsonObject().getAsJsonArray("sweep").get(0).getAsJsonObject();
    assertTrue(window.get("download_gbps").getAsDouble() > 0, transfer.out());
    assertEquals(2, window.getAsJsonArray("uploads").size(), transfer.out());
    for (var upload : window.getAsJsonArray("uploads")) {
      assertTrue(upload.getAsJsonObject().get("upload_gbps").getAsDouble() > 0, transfer.out());
    }
    assertTrue(window.getAsJsonArray("bare_grpc_stream").get(0).getAsJsonObject().get("gbps").getAsDouble() > 0, transfer.out());

    CliRun round = run("bench", "round", "--nodes", "3", "--rounds", "2", "--heap", "256m");
    assertEquals(0, round.exit(), round.err());
    JsonObject rd = JsonParser.parseString(round.lastLine()).getAsJsonObject();
    assertEquals(2, rd.getAsJsonArray("per_round").size());
    assertTrue(rd.getAsJsonObject("provenance").has("cpu_budget"), round.out());
    assertTrue(rd.get("round_ms_median").getAsDouble() > 0, round.out());

    CliRun adapt =
        run("bench", "adaptation", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--meta-shots", "2", "--meta-queries", "2",
            "--ablations", "--out", dir.resolve("bench").toString());
    assertEquals(0, adapt.exit(), adapt.err());
    JsonObject a = JsonParser.parseString(adapt.lastLine()).getAsJsonObject();
    assertEquals("adaptation", a.get("benchmark").getAsString());
    assertEquals(3, a.get("tasks").getAsInt());
    assertTrue(Files.exists(dir.resolve("bench/results.md")));
    // the logits' contribution, paired per task: the full prior against its weights with uniform logits
    JsonObject oneStep = a.getAsJsonArray("results").get(1).getAsJsonObject();
    assertEquals(
        oneStep.get("prior_accuracy").getAsDouble() - oneStep.get("prior_weights_accuracy").getAsDouble(), oneStep.get("logits_diff_mean").getAsDouble(), 1e-9);
    assertTrue(oneStep.get("logits_diff_ci_low").getAsDouble() <= oneStep.get("logits_diff_mean").getAsDouble(), adapt.out());
    assertTrue(adapt.out().contains("| prior - prior-weights [95% CI] |"), adapt.out());
    // only the two arms the logits' question needs, after meta-training whose rounds are all warm-up
    CliRun twoArms =
        run("bench", "adaptation", "--rounds", "2", "--warmup-rounds", "2", "--tasks", "3", "--steps", "0,1", "--meta-shots", "2", "--meta-queries", "2",
            "--arms", "prior-weights,prior", "--out", dir.resolve("bench-warm").toString());
    assertEquals(0, twoArms.exit(), twoArms.err());
    SupernetSpec small = SupernetSpec.profile("small");
    io.fedbase.bundle.Bundle warm = BundleFiles.read(dir.resolve("bench-warm/prior.fbb"), io.fedbase.bundle.BundleLayout.of(small)).bundle();
    io.fedbase.bundle.Bundle init = io.fedbase.bundle.ParameterInitializer.initialize(small, 0);
    io.fedbase.bundle.Bundle moved = warm.minus(init);
    assertEquals(0.0, moved.norm(true), 0.0, "logits frozen through the warm-up");
    assertTrue(moved.norm(false) > 0, "weights learned");
    JsonObject twoArmsStep = JsonParser.parseString(twoArms.lastLine()).getAsJsonObject().getAsJsonArray("results").get(1).getAsJsonObject();
    assertTrue(twoArmsStep.has("logits_diff_mean") && !twoArmsStep.has("diff_mean") && !twoArmsStep.has("scratch_accuracy"), twoArms.out());
    assertTrue(twoArms.out().contains("| steps | prior | prior-weights | prior - prior-weights [95% CI] |"), twoArms.out());
    for (String[] bad :
        new String[][] {{"--arms", "scratch,prior-weights"}, {"--arms", "prior,shuffled"}, {"--arms", "prior"}, {"--arms", "prior,scratch", "--ablations"}}) {
      List<String> args = new java.util.ArrayList<>(List.of("bench", "adaptation", "--rounds", "1", "--tasks", "1"));
      args.addAll(List.of(bad));
      CliRun r = run(args.toArray(String[]::new));
      assertEquals(2, r.exit(), String.join(" ", bad) + ": " + r.err());
      assertTrue(r.err().contains("--arms"), r.err());
    }

    CliRun encodings =
        run("bench", "encodings", "--encodings", "fp32,int8", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--meta-shots", "2", "--meta-queries", "2");
    assertEquals(0, encodings.exit(), encodings.err());
    JsonObject en = JsonParser.parseString(encodings.lastLine()).getAsJsonObject();
    JsonObject int8 = en.getAsJsonArray("encodings").get(1).getAsJsonObject();
    assertEquals("int8", int8.get("encoding").getAsString());
    assertTrue(int8.get("bytes_vs_first").getAsDouble() < 0.26, encodings.out());
    assertTrue(int8.get("prior_distance_vs_first").getAsDouble() > 0, "int8 rounding changes the prior: " + encodings.out());
    assertTrue(en.getAsJsonArray("results").get(1).getAsJsonObject().has("int8_diff_mean"), encodings.out());
    CliRun privacy =
        run("bench", "privacy", "--noise", "1.0", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--meta-shots", "2", "--meta-queries", "2");
    assertEquals(0, privacy.exit(), privacy.err());
    JsonObject pv = JsonParser.parseString(privacy.lastLine()).getAsJsonObject();
    assertTrue(pv.getAsJsonArray("priors").get(1).getAsJsonObject().get("epsilon").getAsDouble() > 0, privacy.out());
    assertTrue(pv.getAsJsonArray("results").get(1).getAsJsonObject().has("sigma_1_0_minus_scratch"), privacy.out());
    CliRun secagg = run("bench", "secagg", "--nodes", "3", "--rounds", "1");
    assertEquals(0, secagg.exit(), secagg.err());
    JsonObject sa = JsonParser.parseString(secagg.lastLine()).getAsJsonObject().getAsJsonArray("results").get(0).getAsJsonObject();
    assertTrue(sa.get("bytes_ratio").getAsDouble() > 1, secagg.out());
    assertTrue(sa.get("secure_round_ms_median").getAsDouble() > 0, secagg.out());
    CliRun badEncoding = run("node", "--insecure", "--coordinator", "localhost:1", "--node-id", "a", "--data", "fashion-mnist", "--encoding", "int4");
    assertEquals(2, badEncoding.exit());
    assertTrue(badEncoding.err().contains("unknown delta encoding 'int4'"), badEncoding.err());
  }

  @Test
  void genotypeBenchmarksMeasureASpacesSpreadAndASupernetsRanking() throws IOException {
    String[] tiny = {"--data", "fashion-mnist", "--classes", "0-2", "--test-data", "fashion-mnist:test", "--epochs", "1", "--max-per-class", "20",
        "--cells", "2", "--channels", "4", "--batch", "16"};
    // no found genotype: the spread of a space alone, from three random genotypes and two seeds
    CliRun spread = run(concat(new String[] {"bench", "genotypes", "--random", "3", "--seeds", "1,2", "--ops", "max_pool_3x3,sep_conv_3x3"}, tiny));
    assertEquals(0, spread.exit(), spread.err());
    JsonObject g = JsonParser.parseString(spread.lastLine()).getAsJsonObject();
    assertEquals(6, g.getAsJsonArray("runs").size());
    JsonObject s = g.getAsJsonObject("spread");
    assertEquals(3, s.get("genotypes").getAsInt());
    assertTrue(s.get("p").getAsDouble() >= 0 && s.get("p").getAsDouble() <= 1, spread.out());
    assertTrue(spread.out().contains("spread of the space:"), spread.out());
    assertTrue(g.getAsJsonArray("runs").get(0).getAsJsonObject().get("genotype").getAsString().matches(".*(max_pool_3x3|sep_conv_3x3).*"));

    // two found genotypes, one row of the task-specificity table: compared with each other, paired by seed
    SupernetSpec small = SupernetSpec.profile("small");
    Path fmnist = dir.resolve("fmnist.txt");
    Path digits = dir.resolve("digits.txt");
    Files.writeString(fmnist, io.fedbase.genotype.DartsNotation.format(io.fedbase.genotype.Genotype.random(List.of(Operation.SEP_CONV_3X3), small.nodes(), new java.util.SplittableRandom(1))));
    Files.writeString(digits, io.fedbase.genotype.DartsNotation.format(io.fedbase.genotype.Genotype.random(List.of(Operation.MAX_POOL_3X3), small.nodes(), new java.util.SplittableRandom(2))));
    CliRun pair = run(concat(new String[] {"bench", "genotypes", "--genotype", fmnist.toString(), "--genotype", digits.toString(), "--random", "0", "--seeds", "1,2"}, tiny));
    assertEquals(0, pair.exit(), pair.err());
    JsonObject two = JsonParser.parseString(pair.lastLine()).getAsJsonObject();
    assertEquals(4, two.getAsJsonArray("runs").size());
    JsonObject d = two.getAsJsonArray("found_differences").get(0).getAsJsonObject();
    assertEquals("fmnist", d.get("first").getAsString());
    assertEquals("digits", d.get("second").getAsString());
    double[] diff = new double[2];
    for (var run : two.getAsJsonArray("runs")) {
      JsonObject o = run.getAsJsonObject();
      diff[(int) o.get("seed").getAsLong() - 1] += (o.get("name").getAsString().equals("fmnist") ? 1 : -1) * o.get("testAccuracy").getAsDouble();
    }
    assertEquals((diff[0] + diff[1]) / 2, d.getAsJsonObject("difference").get("mean").getAsDouble(), 1e-12, pair.out());
    assertTrue(pair.out().contains("fmnist - digits: "), pair.out());
    assertFalse(two.has("random_mean"), "no random genotypes were trained");
    CliRun noRandom = run(concat(new String[] {"bench", "genotypes", "--genotype", fmnist.toString(), "--random", "0"}, tiny));
    assertEquals(2, noRandom.exit());
    assertTrue(noRandom.err().contains("0 only with two or more --genotype"), noRandom.err());

    // an adapted supernet of three classes ranks four genotypes; tau lies in [-1, 1]
    SupernetSpec spec = SupernetSpec.profile("small").toBuilder().setWays(3).build();
    Path adapted = dir.resolve("adapted.fbb");
    BundleFiles.write(adapted, io.fedbase.bundle.StoredBundle.parameters(io.fedbase.bundle.ParameterInitializer.initialize(spec, 4), spec, java.util.Map.of()));
    CliRun ranking = run(concat(new String[] {"bench", "ranking", "--adapted", adapted.toString(), "--genotypes", "4", "--probe-images", "40", "--seeds", "1,2"}, tiny));
    assertEquals(0, ranking.exit(), ranking.err());
    JsonObject r = JsonParser.parseString(ranking.lastLine()).getAsJsonObject();
    assertEquals(4, r.getAsJsonArray("genotypes").size());
    double tau = r.getAsJsonObject("kendall_tau").get("value").getAsDouble();
    assertTrue(tau >= -1 && tau <= 1, ranking.out());
    JsonObject first = r.getAsJsonArray("genotypes").get(0).getAsJsonObject();
    assertTrue(first.get("supernetAccuracy").getAsDouble() > 0, ranking.out());
    double mean = (first.getAsJsonArray("trainedBySeed").get(0).getAsDouble() + first.getAsJsonArray("trainedBySeed").get(1).getAsDouble()) / 2;
    assertEquals(mean, first.get("trainedAccuracy").getAsDouble(), 1e-12, "a genotype's accuracy is its mean over the seeds");

    CliRun wrongClasses = run(concat(new String[] {"bench", "ranking", "--adapted", adapted.toString()}, new String[] {"--data", "fashion-mnist", "--classes", "0-3", "--test-data", "fashion-mnist:test"}));
    assertEquals(2, wrongClasses.exit());
    assertTrue(wrongClasses.err().contains("classifies 3 classes, --data has 4"), wrongClasses.err());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void federationFlagsAreCheckedBeforeAnythingStarts() {
    String state = dir.resolve("state").toString();
    CliRun plaintext = run("coordinator", "--state-dir", state);
    assertEquals(2, plaintext.exit());
    assertTrue(plaintext.err().contains("needs --ca, --cert and --key"), plaintext.err());
    CliRun both = run("coordinator", "--insecure", "--ca", "ca.pem", "--state-dir", state);
    assertEquals(2, both.exit());
    assertTrue(both.err().contains("cannot be combined"), both.err());
    CliRun clientWithout = run("status", "--coordinator", "localhost:1");
    assertEquals(2, clientWithout.exit());
    assertTrue(clientWithout.err().contains("or --insecure for plaintext"), clientWithout.err());
    CliRun quorum = run("coordinator", "--insecure", "--state-dir", state, "--min-nodes", "2", "--quorum", "3", "--port", "0");
    assertEquals(2, quorum.exit());
    assertTrue(quorum.err().contains("--quorum must lie in 1..2"), quorum.err());
    CliRun deadline = run("coordinator", "--insecure", "--state-dir", state, "--round-deadline", "5 parsecs", "--port", "0");
    assertEquals(2, deadline.exit());
    assertTrue(deadline.err().contains("90s, 10m or 1h"), deadline.err());
    CliRun target = run("node", "--insecure", "--coordinator", "nohost", "--node-id", "a", "--data", "fashion-mnist");
    assertEquals(2, target.exit());
    assertTrue(target.err().contains("HOST:PORT"), target.err());
    CliRun aggregation = run("coordinator", "--insecure", "--state-dir", state, "--aggregation", "trimmed-mean:0.7", "--port", "0");
    assertEquals(2, aggregation.exit());
    assertTrue(aggregation.err().contains("0.7"), aggregation.err());
    CliRun dpWithoutClips = run("coordinator", "--insecure", "--state-dir", state, "--dp", "central", "--port", "0");
    assertEquals(2, dpWithoutClips.exit());
    assertTrue(dpWithoutClips.err().contains("--dp-weight-clip"), dpWithoutClips.err());
    CliRun secureInsecure = run("coordinator", "--insecure", "--state-dir", state, "--secure-aggregation", "--port", "0");
    assertEquals(2, secureInsecure.exit());
    assertTrue(secureInsecure.err().contains("needs node certificates"), secureInsecure.err());
    // the library names its settings; the command line says which flag was wrong
    CliRun tasks = run("coordinator", "--insecure", "--state-dir", state, "--tasks-per-node", "0", "--port", "0");
    assertEquals(2, tasks.exit());
    assertTrue(tasks.err().contains("error: --tasks-per-node must be at least 1, got 0"), tasks.err());
    CliRun steps = run("coordinator", "--insecure", "--state-dir", state, "--inner-steps", "-1", "--port", "0");
    assertEquals(2, steps.exit());
    assertTrue(steps.err().contains("error: --inner-steps must not be negative, got -1"), steps.err());
    assertEquals(
        "--secagg-threshold must be more than 0.5 and at most 1, got 0.5",
        io.fedbase.cli.option.SettingFlags.describe(new io.fedbase.meta.InvalidSettingException("secureAggregation.thresholdFraction", "must be more than 0.5 and at most 1, got 0.5")));
    assertEquals("someSetting is odd", io.fedbase.cli.option.SettingFlags.describe(new io.fedbase.meta.InvalidSettingException("someSetting", "is odd")), "an unmapped setting keeps its name");
    assertEquals(2, run("check-args", "--", "node", "--insecure", "--bogus", "1").exit(), "check-args refuses unknown flags");
    assertEquals(0, run("check-args", "--", "coordinator", "--insecure", "--state-dir", "s", "--ways", "2").exit());
    assertEquals(java.time.Duration.ofSeconds(90), FederationOptions.parseDuration("90s"));
    assertEquals(java.time.Duration.ofMinutes(10), FederationOptions.parseDuration("10m"));
    assertEquals(java.time.Duration.ofMillis(1500), FederationOptions.parseDuration("PT1.5S"));
  }

  @Test
  void demoRunsAFederationOnLoopbackAndComparesOnHeldOutClasses() throws IOException {
    Path out = dir.resolve("demo");
    CliRun demo = run("demo", "--nodes", "2", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--classes", "0-3", "--out", out.toString());
    assertEquals(0, demo.exit(), demo.err());
    assertTrue(demo.out().contains("node-a: classes [0, 2]"), demo.out());
    assertTrue(demo.out().contains("node-b: classes [1, 3]"), demo.out());
    assertTrue(demo.out().contains("derived genotype: Genotype(normal="), demo.out());
    assertTrue(Files.exists(out.resolve("state/prior-v00000002.fbb")), "two committed versions");
    assertTrue(Files.exists(out.resolve("genotype.json")));
    CliRun tooMany = run("demo", "--nodes", "4", "--classes", "0-5", "--out", out.toString());
    assertEquals(2, tooMany.exit());
    assertTrue(tooMany.err().contains("at least 2"), tooMany.err());
  }

  @Test
  void priorFetchDownloadsACommittedVersionAndPriorInfoDescribesIt() throws Exception {
    SupernetSpec spec = SupernetSpec.profile("small");
    Path state = dir.resolve("coordinator-state");
    var settings =
        io.fedbase.coordinator.round.FederationSettings.builder()
            .setPolicy(new io.fedbase.coordinator.round.RoundPolicy(1, 1, java.time.Duration.ofMinutes(1)))
            .optTasksPerNode(1)
            .setTasks(new io.fedbase.task.TaskSpec(4, 2, 2))
            .optTau(io.fedbase.meta.Schedule.constant(1.0))
            .optScheduleRounds(10)
            .build();
    try (var coordinator =
        io.fedbase.coordinator.CoordinatorRuntime.start(
            spec,
            settings,
            io.fedbase.meta.FiniteDifferenceUpdate.defaults(),
            state,
            io.fedbase.bundle.ParameterInitializer.initialize(spec, 3),
            io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0)),
            new io.fedbase.coordinator.metrics.CoordinatorMetrics(new io.prometheus.client.CollectorRegistry(true)))) {
      String target = "127.0.0.1:" + coordinator.port();
      Path fetched = dir.resolve("fetched/prior.fbb");
      CliRun fetch = run("prior", "fetch", "--insecure", "--coordinator", target, "--out", fetched.toString());
      assertEquals(0, fetch.exit(), fetch.err());
      assertTrue(fetch.out().contains("prior version 0 -> "), fetch.out());
      assertEquals(-1L, Files.mismatch(state.resolve("prior-v00000000.fbb"), fetched), "the committed file, byte for byte");

      CliRun pause = run("admin", "pause", "--insecure", "--coordinator", target, "--reason", "audit");
      assertEquals(0, pause.exit(), pause.err());
      assertTrue(pause.out().contains("rounds paused (audit)"), pause.out());
      CliRun remove = run("admin", "remove-node", "--insecure", "--coordinator", target, "--node-id", "org-x");
      assertTrue(remove.out().contains("removed nodes: org-x"), remove.out());
      CliRun status = run("status", "--insecure", "--coordinator", target);
      assertTrue(status.out().contains("rounds paused by an operator") && status.out().contains("removed nodes: org-x"), status.out());
      assertEquals(0, run("admin", "readmit-node", "--insecure", "--coordinator", target, "--node-id", "org-x").exit());
      CliRun again = run("admin", "readmit-node", "--insecure", "--coordinator", target, "--node-id", "org-x");
      assertEquals(1, again.exit());
      assertTrue(again.err().contains("is not removed"), again.err());
      assertTrue(run("admin", "resume", "--insecure", "--coordinator", target).out().contains("rounds running"));
      CliRun rollback = run("admin", "rollback", "--insecure", "--coordinator", target, "--to-version", "0", "--reason", "bad round");
      assertEquals(1, rollback.exit(), "nothing is older than version 0");
      assertTrue(rollback.err().contains("is not older than the current version 0"), rollback.err());

      CliRun info = run("prior", "info", fetched.toString());
      assertEquals(0, info.exit(), info.err());
      assertTrue(info.out().contains("version: 0"), info.out());
      assertTrue(info.out().contains("spec: small") || info.out().contains("spec: remote"), info.out());
      assertTrue(info.out().contains("90 logit values"), info.out());
      assertTrue(info.out().contains("genotype (BASE rule): Genotype(normal="), info.out());
      assertTrue(info.out().matches("(?s).*logits \\(reduce\\): mean entropy 1\\.6\\d{3} of 1\\.6094 when uniform, largest weight 0\\.\\d{3} \\(uniform 0\\.200\\).*"), info.out());

      CliRun same = run("prior", "compare", fetched.toString(), state.resolve("prior-v00000000.fbb").toString(), "--base", fetched.toString());
      assertEquals(0, same.exit(), same.err());
      assertTrue(same.out().contains("\"l2_distance\":0.00000") && same.out().contains("\"relative_to_change\":null"), same.out());
      CliRun otherModel = run("prior", "compare", fetched.toString(), dir.resolve("missing.fbb").toString());
      assertEquals(2, otherModel.exit(), otherModel.err());

      CliRun missing = run("prior", "fetch", "--insecure", "--coordinator", target, "--version", "7", "--out", dir.resolve("x.fbb").toString());
      assertTrue(missing.exit() != 0);
      assertTrue(missing.err().contains("prior version 7 does not exist"), missing.err());
      CliRun badVersion = run("prior", "fetch", "--insecure", "--coordinator", target, "--version", "newest", "--out", dir.resolve("x.fbb").toString());
      assertEquals(2, badVersion.exit());
    }
    Path corrupt = dir.resolve("corrupt.fbb");
    Files.write(corrupt, new byte[] {1, 2, 3});
    CliRun bad = run("prior", "info", corrupt.toString());
    assertEquals(2, bad.exit());
  }

  @Test
  void adaptWritesBundleGenotypeCurveAndReportAndRefusesBadInput() throws IOException {
    Path mt = dir.resolve("mt-for-adapt");
    assertEquals(0, run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--tasks-per-round", "1",
        "--shots", "2", "--queries", "2", "--out", mt.toString()).exit());
    Path prior = mt.resolve("prior-final.fbb");
    Path out = dir.resolve("adapted");
    CliRun adapt = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--steps", "3",
        "--eval-every", "2", "--batch", "8", "--max-per-class", "30", "--max-held-out", "30", "--out", out.toString());
    assertEquals(0, adapt.exit(), adapt.err());
    assertTrue(adapt.out().contains("fresh 3-way classifier"), adapt.out());
    for (String f : List.of("adapted.fbb", "genotype.json", "genotype.txt", "curve.png", "report.md")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    assertTrue(Files.readString(out.resolve("report.md")).contains("| 3 |"), "the last step is evaluated");
    assertEquals(
        GenotypeJson.read(out.resolve("genotype.json")).toString(),
        io.fedbase.genotype.DartsNotation.parse(Files.readString(out.resolve("genotype.txt")).strip()).toString());
    byte[] png = Files.readAllBytes(out.resolve("curve.png"));
    assertEquals((byte) 0x89, png[0]);
    assertEquals('P', png[1]);

    Path perturbed = dir.resolve("adapted-perturbation");
    CliRun byPerturbation = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--steps", "2",
        "--batch", "8", "--max-per-class", "30", "--max-held-out", "30", "--readout", "perturbation", "--out", perturbed.toString());
    assertEquals(0, byPerturbation.exit(), byPerturbation.err());
    assertTrue(byPerturbation.out().contains("genotype (BASE rule, read off the perturbation): "), byPerturbation.out());
    String json = Files.readString(perturbed.resolve("genotype.json"));
    assertTrue(json.contains("\"readout\": \"perturbation\"") && json.contains("\"scores\""), json);
    assertTrue(Files.readString(perturbed.resolve("report.md")).contains("Read off the perturbation."));
    CliRun badReadout = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--readout", "votes",
        "--out", dir.resolve("never").toString());
    assertEquals(2, badReadout.exit());
    assertTrue(badReadout.err().contains("unknown read-out 'votes'; use logits or perturbation"), badReadout.err());
    assertFalse(Files.exists(dir.resolve("never")), "nothing is written for a bad read-out");

    assertEquals(2, run("adapt", "--prior", prior.toString(), "--coordinator", "h:1", "--data", "fashion-mnist", "--out", out.toString()).exit());
    CliRun oneClass = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6", "--out", out.toString());
    assertEquals(2, oneClass.exit());
    assertTrue(oneClass.err().contains("at least 2 classes"), oneClass.err());
    Path bare = dir.resolve("bare.fbb");
    BundleFiles.write(bare, io.fedbase.bundle.StoredBundle.parameters(BundleFiles.read(prior).bundle(), java.util.Map.of()));
    CliRun noSpec = run("adapt", "--prior", bare.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--out", out.toString());
    assertEquals(2, noSpec.exit());
    assertTrue(noSpec.err().contains("does not carry its model spec"), noSpec.err());
  }

  @Test
  void trainWritesModelCheckpointCurveAndReportAndEvaluateScoresIt() throws IOException {
    SupernetSpec small = SupernetSpec.profile("small");
    Path genotype = dir.resolve("genotype.json");
    GenotypeJson.write(
        genotype,
        io.fedbase.genotype.ArchitectureLogits.of(io.fedbase.bundle.ParameterInitializer.initialize(small, 3), small.operations(), small.nodes()),
        io.fedbase.genotype.GenotypeRule.BASE,
        java.util.Map.of());
    Path model = dir.resolve("model");
    String[] trainArgs = {
      "train", "--genotype", genotype.toString(), "--data", "fashion-mnist:test", "--classes", "1,7,8", "--max-per-class", "60",
      "--max-held-out", "30", "--epochs", "2", "--cells", "2", "--channels", "6", "--batch", "20", "--cutout", "6", "--out", model.toString()
    };
    CliRun train = run(trainArgs);
    assertEquals(0, train.exit(), train.err());
    for (String f : List.of("model.fbb", "checkpoint.fbb", "curve.png", "report.md")) {
      assertTrue(Files.size(model.resolve(f)) > 0, f);
    }
    assertTrue(Files.readString(model.resolve("report.md")).contains("| 2 |"), "every epoch is reported");

    CliRun again = run(trainArgs);
    assertEquals(2, again.exit());
    assertTrue(again.err().contains("--resume"), again.err());
    List<String> resumeArgs = new java.util.ArrayList<>(List.of(trainArgs));
    resumeArgs.add("--resume");
    CliRun resumed = run(resumeArgs.toArray(String[]::new));
    assertEquals(0, resumed.exit(), resumed.err());
    assertTrue(resumed.out().contains("resuming after epoch 2 of 2"), resumed.out());
    resumeArgs.set(resumeArgs.indexOf("--epochs") + 1, "3");
    CliRun changed = run(resumeArgs.toArray(String[]::new));
    assertEquals(2, changed.exit());
    assertTrue(changed.err().contains("other settings"), changed.err());

    CliRun evaluate = run("evaluate", "--model", model.toString(), "--data", "fashion-mnist:test", "--classes", "1,7,8", "--json", dir.resolve("scores.json").toString());
    assertEquals(0, evaluate.exit(), evaluate.err());
    com.google.gson.JsonObject scores = com.google.gson.JsonParser.parseString(evaluate.lastLine()).getAsJsonObject();
    assertEquals(3000, scores.get("images").getAsInt(), "every test image of the 3 classes");
    assertTrue(scores.get("accuracy").getAsDouble() > 0.5, "well above chance (1/3) after 2 short epochs: " + scores);
    int total = 0;
    for (com.google.gson.JsonElement row : scores.getAsJsonArray("confusion")) {
      for (com.google.gson.JsonElement v : row.getAsJsonArray()) {
        total += v.getAsInt();
      }
    }
    assertEquals(3000, total);
    assertTrue(evaluate.out().contains("Trouser"), "per-class accuracy names the classes: " + evaluate.out());
    assertEquals(evaluate.lastLine(), Files.readString(dir.resolve("scores.json")).strip());
  }

  @Test
  void trainAndEvaluateRefuseBadInputWithOneLine() throws IOException {
    Path genotype = dir.resolve("genotype.txt");
    Files.writeString(genotype,
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_3x3', 2), ('max_pool_3x3', 1), ('skip_connect', 3)],"
            + " normal_concat=range(2, 5), reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 2),"
            + " ('skip_connect', 0), ('sep_conv_3x3', 3)], reduce_concat=range(2, 5))\n");
    Path model = dir.resolve("model");
    CliRun oneClass = run("train", "--genotype", genotype.toString(), "--data", "fashion-mnist:test", "--classes", "1", "--out", model.toString());
    assertEquals(2, oneClass.exit());
    assertTrue(oneClass.err().contains("at least 2 classes"), oneClass.err());

    Path outside = dir.resolve("outside.json");
    Files.writeString(outside, "{\"format\": \"fedbase-genotype/1\", \"nodes\": 1, \"operations\": [\"max_pool_3x3\", \"skip_connect\"],"
        + " \"genotype\": {\"normal\": [[\"sep_conv_3x3\", 0], [\"skip_connect\", 1]], \"reduce\": [[\"max_pool_3x3\", 0], [\"skip_connect\", 1]]}}");
    CliRun notInSpace = run("train", "--genotype", outside.toString(), "--data", "fashion-mnist:test", "--classes", "1,7", "--out", model.toString());
    assertEquals(2, notInSpace.exit());
    assertTrue(notInSpace.err().contains("not in the search space"), notInSpace.err());
    Path garbage = dir.resolve("garbage.txt");
    Files.writeString(garbage, "sep_conv everywhere");
    CliRun malformed = run("train", "--genotype", garbage.toString(), "--data", "fashion-mnist:test", "--classes", "1,7", "--out", model.toString());
    assertEquals(2, malformed.exit());
    assertTrue(malformed.err().contains("neither a genotype.json nor"), malformed.err());
    assertEquals(2, run("train", "--genotype", dir.resolve("none.json").toString(), "--data", "fashion-mnist:test", "--out", model.toString()).exit());
    CliRun nothingToResume = run("train", "--genotype", genotype.toString(), "--data", "fashion-mnist:test", "--classes", "1,7", "--resume", "--out", model.toString());
    assertEquals(2, nothingToResume.exit());
    assertTrue(nothingToResume.err().contains("nothing to resume"), nothingToResume.err());

    CliRun noPrior = run("adapt", "--prior", dir.resolve("missing.fbb").toString(), "--data", "fashion-mnist:test", "--classes", "1,7", "--out", dir.resolve("a").toString());
    assertEquals(2, noPrior.exit());
    assertTrue(noPrior.err().contains("no such file"), noPrior.err());
    CliRun noModel = run("evaluate", "--model", model.toString(), "--data", "fashion-mnist:test");
    assertEquals(2, noModel.exit());
    assertTrue(noModel.err().contains("no trained model"), noModel.err());
    assertEquals(0, run("train", "--genotype", genotype.toString(), "--data", "fashion-mnist:test", "--classes", "1,7", "--max-per-class", "10",
        "--max-held-out", "4", "--epochs", "1", "--cells", "1", "--channels", "4", "--batch", "10", "--out", model.toString()).exit());
    CliRun otherClasses = run("evaluate", "--model", model.toString(), "--data", "fashion-mnist:test", "--classes", "1,2");
    assertEquals(2, otherClasses.exit());
    assertTrue(otherClasses.err().contains("not trained on"), otherClasses.err());
    Path colour = dir.resolve("colour");
    for (String c : List.of("a", "b")) {
      Files.createDirectories(colour.resolve(c));
      java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
      img.setRGB(1, 1, 0xFF2040);
      javax.imageio.ImageIO.write(img, "png", colour.resolve(c).resolve("x.png").toFile());
    }
    CliRun wrongInput = run("evaluate", "--model", model.toString(), "--data", "folder:" + colour);
    assertEquals(2, wrongInput.exit());
    assertTrue(wrongInput.err().contains("the model takes 1x28x28 images"), wrongInput.err());
    Path file = model.resolve("model.fbb");
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 9] ^= 0x11;
    Files.write(file, bytes);
    CliRun corrupt = run("evaluate", "--model", model.toString(), "--data", "fashion-mnist:test", "--classes", "1,7");
    assertEquals(2, corrupt.exit());
    assertEquals(1, corrupt.err().strip().lines().count(), corrupt.err());
  }

  @Test
  void caIssuesListsAndRevokesAndRefusesMistakes() throws IOException {
    Path ca = dir.resolve("ca");
    Path pki = dir.resolve("pki");
    assertEquals(0, run("ca", "init", "--dir", ca.toString(), "--name", "test CA").exit());
    CliRun again = run("ca", "init", "--dir", ca.toString());
    assertEquals(2, again.exit());
    assertTrue(again.err().contains("already holds a CA"), again.err());
    CliRun coordinator = run("ca", "issue", "--dir", ca.toString(), "--id", "coordinator", "--role", "coordinator", "--out", pki.toString());
    assertEquals(2, coordinator.exit());
    assertTrue(coordinator.err().contains("--dns"), coordinator.err());
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--id", "coordinator", "--role", "coordinator", "--ip", "127.0.0.1", "--out", pki.toString()).exit());
    CliRun node = run("ca", "issue", "--dir", ca.toString(), "--node-id", "org-a", "--out", pki.toString());
    assertEquals(0, node.exit(), node.err());
    assertTrue(Files.exists(pki.resolve("org-a.pem")) && Files.exists(pki.resolve("org-a.key")) && Files.exists(pki.resolve("ca.pem")));
    CliRun overwrite = run("ca", "issue", "--dir", ca.toString(), "--node-id", "org-a", "--out", pki.toString());
    assertEquals(2, overwrite.exit());
    assertTrue(overwrite.err().contains("refusing to overwrite a key"), overwrite.err());
    assertEquals(0, run("ca", "issue", "--dir", ca.toString(), "--id", "analyst", "--role", "reader", "--out", pki.toString()).exit());
    assertEquals(2, run("ca", "issue", "--dir", ca.toString(), "--id", "x", "--role", "admin", "--out", pki.toString()).exit());
    assertEquals(2, run("ca", "issue", "--dir", ca.toString(), "--id", "../x", "--out", pki.toString()).exit());

    // a node takes its id from its certificate, and refuses a reader's
    CliRun readerAsNode =
        run("node", "--coordinator", "127.0.0.1:1", "--ca", pki.resolve("ca.pem").toString(), "--cert", pki.resolve("analyst.pem").toString(),
            "--key", pki.resolve("analyst.key").toString(), "--data", "fashion-mnist");
    assertEquals(2, readerAsNode.exit());
    assertTrue(readerAsNode.err().contains("reader certificate"), readerAsNode.err());
    CliRun otherId =
        run("node", "--coordinator", "127.0.0.1:1", "--node-id", "org-b", "--ca", pki.resolve("ca.pem").toString(), "--cert",
            pki.resolve("org-a.pem").toString(), "--key", pki.resolve("org-a.key").toString(), "--data", "fashion-mnist");
    assertEquals(2, otherId.exit());
    assertTrue(otherId.err().contains("differs from the certificate's id 'org-a'"), otherId.err());

    assertEquals(0, run("ca", "revoke", "--dir", ca.toString(), "--id", "org-a").exit());
    CliRun list = run("ca", "list", "--dir", ca.toString());
    assertEquals(0, list.exit());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("org-a") && !l.endsWith("-")), list.out());
    assertTrue(list.out().lines().anyMatch(l -> l.startsWith("analyst") && l.endsWith("-")), list.out());
    assertEquals(2, run("ca", "revoke", "--dir", ca.toString(), "--id", "nobody").exit());
    assertEquals(2, run("ca", "list", "--dir", dir.resolve("none").toString()).exit());
  }
}
