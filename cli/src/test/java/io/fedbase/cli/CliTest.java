package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.space.SupernetSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands as a user runs them, in process, on real Fashion-MNIST. */
class CliTest {

  @TempDir Path dir;

  record Run(int exit, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  private static synchronized Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    StringWriter cliErr = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cmd = FedbaseCli.newCommandLine();
      cmd.setErr(new PrintWriter(cliErr, true));
      cmd.setOut(new PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));
      int exit = cmd.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cliErr);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
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
            List.of("bench", "inner-step"))) {
      String[] args = new java.util.ArrayList<>(cmd) {{ add("--help"); }}.toArray(String[]::new);
      Run r = run(args);
      assertEquals(0, r.exit(), String.join(" ", args));
      assertTrue(r.out().contains("Usage: fedbase"), r.out());
    }
  }

  @Test
  void badInputGivesOneClearLineAndExitTwo() throws IOException {
    Run missing = run("meta-train", "--data", "idx:" + dir.resolve("none"), "--rounds", "1", "--out", dir.resolve("o").toString());
    assertEquals(2, missing.exit());
    assertTrue(missing.err().contains("error: missing IDX file"), missing.err());
    assertTrue(!missing.err().contains("\tat "), "no stack trace for bad input");

    Run classes = run("meta-train", "--data", "fashion-mnist", "--classes", "5-2", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, classes.exit());
    assertTrue(classes.err().contains("reversed range"), classes.err());

    Run tooFew = run("meta-train", "--data", "fashion-mnist", "--classes", "0-2", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, tooFew.exit());
    assertTrue(tooFew.err().contains("only 3 classes"), tooFew.err());

    Path corrupt = dir.resolve("corrupt.fbb");
    Files.writeString(corrupt, "FBBUNDLE but nothing else");
    Run init = run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--init", corrupt.toString(), "--out", dir.toString());
    assertEquals(2, init.exit());
    assertTrue(init.err().contains("corrupt.fbb"), init.err());

    Run profile = run("meta-train", "--data", "fashion-mnist", "--profile", "huge", "--rounds", "1", "--out", dir.toString());
    assertEquals(2, profile.exit());
    assertTrue(profile.err().contains("unknown profile 'huge'"), profile.err());

    Run usage = run("meta-train", "--rounds", "1");
    assertEquals(2, usage.exit(), "picocli's usage error");
    assertTrue(usage.err().contains("--data"), usage.err());
  }

  @Test
  void metaTrainWritesPriorsRoundLogAndGenotype() throws IOException {
    Path out = dir.resolve("run");
    Run r =
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
    Run again =
        run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--tasks-per-round", "1",
            "--queries", "5", "--init", out.resolve("prior-final.fbb").toString(), "--out", dir.resolve("run2").toString());
    assertEquals(0, again.exit(), again.err());
  }

  @Test
  void benchmarksEndWithOneJsonLine() {
    Run inner = run("bench", "inner-step", "--steps", "4", "--warmup", "1", "--batch", "8");
    assertEquals(0, inner.exit(), inner.err());
    JsonObject j = JsonParser.parseString(inner.lastLine()).getAsJsonObject();
    assertEquals("inner-step", j.get("benchmark").getAsString());
    assertTrue(j.get("ms_per_step_median").getAsDouble() > 0);
    assertEquals(90, j.get("logit_params").getAsInt());

    Run adapt =
        run("bench", "adaptation", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--meta-shots", "2", "--meta-queries", "2",
            "--out", dir.resolve("bench").toString());
    assertEquals(0, adapt.exit(), adapt.err());
    JsonObject a = JsonParser.parseString(adapt.lastLine()).getAsJsonObject();
    assertEquals("adaptation", a.get("benchmark").getAsString());
    assertEquals(3, a.get("tasks").getAsInt());
    assertTrue(Files.exists(dir.resolve("bench/results.md")));
  }

  @Test
  void federationFlagsAreCheckedBeforeAnythingStarts() {
    String state = dir.resolve("state").toString();
    Run plaintext = run("coordinator", "--state-dir", state);
    assertEquals(2, plaintext.exit());
    assertTrue(plaintext.err().contains("pass --insecure"), plaintext.err());
    Run quorum = run("coordinator", "--insecure", "--state-dir", state, "--min-nodes", "2", "--quorum", "3", "--port", "0");
    assertEquals(2, quorum.exit());
    assertTrue(quorum.err().contains("--quorum must lie in 1..2"), quorum.err());
    Run deadline = run("coordinator", "--insecure", "--state-dir", state, "--round-deadline", "5 parsecs", "--port", "0");
    assertEquals(2, deadline.exit());
    assertTrue(deadline.err().contains("90s, 10m or 1h"), deadline.err());
    Run target = run("node", "--insecure", "--coordinator", "nohost", "--node-id", "a", "--data", "fashion-mnist");
    assertEquals(2, target.exit());
    assertTrue(target.err().contains("HOST:PORT"), target.err());
    assertEquals(2, run("check-args", "--", "node", "--insecure", "--bogus", "1").exit(), "check-args refuses unknown flags");
    assertEquals(0, run("check-args", "--", "coordinator", "--insecure", "--state-dir", "s", "--ways", "2").exit());
    assertEquals(java.time.Duration.ofSeconds(90), FederationOptions.parseDuration("90s"));
    assertEquals(java.time.Duration.ofMinutes(10), FederationOptions.parseDuration("10m"));
    assertEquals(java.time.Duration.ofMillis(1500), FederationOptions.parseDuration("PT1.5S"));
  }

  @Test
  void demoRunsAFederationOnLoopbackAndComparesOnHeldOutClasses() throws IOException {
    Path out = dir.resolve("demo");
    Run demo = run("demo", "--nodes", "2", "--rounds", "2", "--tasks", "3", "--steps", "0,1", "--classes", "0-3", "--out", out.toString());
    assertEquals(0, demo.exit(), demo.err());
    assertTrue(demo.out().contains("node-a: classes [0, 2]"), demo.out());
    assertTrue(demo.out().contains("node-b: classes [1, 3]"), demo.out());
    assertTrue(demo.out().contains("derived genotype: Genotype(normal="), demo.out());
    assertTrue(Files.exists(out.resolve("state/prior-v00000002.fbb")), "two committed versions");
    assertTrue(Files.exists(out.resolve("genotype.json")));
    Run tooMany = run("demo", "--nodes", "4", "--classes", "0-5", "--out", out.toString());
    assertEquals(2, tooMany.exit());
    assertTrue(tooMany.err().contains("at least 2"), tooMany.err());
  }

  @Test
  void priorFetchDownloadsACommittedVersionAndPriorInfoDescribesIt() throws Exception {
    SupernetSpec spec = SupernetSpec.profile("small");
    Path state = dir.resolve("coordinator-state");
    var settings =
        new io.fedbase.coordinator.round.FederationSettings(
            new io.fedbase.coordinator.round.RoundPolicy(1, 1, java.time.Duration.ofMinutes(1)),
            1,
            new io.fedbase.task.TaskSpec(4, 2, 2),
            io.fedbase.learn.InnerLoopConfig.defaults(),
            io.fedbase.learn.Schedule.constant(1.0),
            10,
            0,
            0,
            0);
    try (var coordinator =
        io.fedbase.coordinator.CoordinatorRuntime.start(
            spec,
            settings,
            io.fedbase.learn.FiniteDifferenceUpdate.defaults(),
            state,
            io.fedbase.supernet.ParameterInitializer.initialize(spec, 3),
            io.grpc.netty.NettyServerBuilder.forAddress(new java.net.InetSocketAddress("127.0.0.1", 0)),
            new io.fedbase.coordinator.metrics.CoordinatorMetrics(new io.prometheus.client.CollectorRegistry(true)))) {
      String target = "127.0.0.1:" + coordinator.port();
      Path fetched = dir.resolve("fetched/prior.fbb");
      Run fetch = run("prior", "fetch", "--insecure", "--coordinator", target, "--out", fetched.toString());
      assertEquals(0, fetch.exit(), fetch.err());
      assertTrue(fetch.out().contains("prior version 0 -> "), fetch.out());
      assertEquals(-1L, Files.mismatch(state.resolve("prior-v00000000.fbb"), fetched), "the committed file, byte for byte");

      Run info = run("prior", "info", fetched.toString());
      assertEquals(0, info.exit(), info.err());
      assertTrue(info.out().contains("version: 0"), info.out());
      assertTrue(info.out().contains("spec: small") || info.out().contains("spec: remote"), info.out());
      assertTrue(info.out().contains("90 logit values"), info.out());
      assertTrue(info.out().contains("genotype (BASE rule): Genotype(normal="), info.out());

      Run missing = run("prior", "fetch", "--insecure", "--coordinator", target, "--version", "7", "--out", dir.resolve("x.fbb").toString());
      assertTrue(missing.exit() != 0);
      assertTrue(missing.err().contains("prior version 7 does not exist"), missing.err());
      Run badVersion = run("prior", "fetch", "--insecure", "--coordinator", target, "--version", "newest", "--out", dir.resolve("x.fbb").toString());
      assertEquals(2, badVersion.exit());
    }
    Path corrupt = dir.resolve("corrupt.fbb");
    Files.write(corrupt, new byte[] {1, 2, 3});
    Run bad = run("prior", "info", corrupt.toString());
    assertEquals(2, bad.exit());
  }

  @Test
  void adaptWritesBundleGenotypeCurveAndReportAndRefusesBadInput() throws IOException {
    Path mt = dir.resolve("mt-for-adapt");
    assertEquals(0, run("meta-train", "--data", "fashion-mnist", "--classes", "0-5", "--rounds", "1", "--tasks-per-round", "1",
        "--shots", "2", "--queries", "2", "--out", mt.toString()).exit());
    Path prior = mt.resolve("prior-final.fbb");
    Path out = dir.resolve("adapted");
    Run adapt = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--steps", "3",
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

    assertEquals(2, run("adapt", "--prior", prior.toString(), "--coordinator", "h:1", "--data", "fashion-mnist", "--out", out.toString()).exit());
    Run oneClass = run("adapt", "--prior", prior.toString(), "--data", "fashion-mnist:test", "--classes", "6", "--out", out.toString());
    assertEquals(2, oneClass.exit());
    assertTrue(oneClass.err().contains("at least 2 classes"), oneClass.err());
    Path bare = dir.resolve("bare.fbb");
    BundleFiles.write(bare, io.fedbase.bundle.StoredBundle.parameters(BundleFiles.read(prior).bundle(), java.util.Map.of()));
    Run noSpec = run("adapt", "--prior", bare.toString(), "--data", "fashion-mnist:test", "--classes", "6-8", "--out", out.toString());
    assertEquals(2, noSpec.exit());
    assertTrue(noSpec.err().contains("does not carry its model spec"), noSpec.err());
  }
}
