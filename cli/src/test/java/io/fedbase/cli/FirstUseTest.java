package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * fedbase as a newcomer uses it: on a fresh folder of their own images, with the README and
 * {@code --help} only. Each test is a trap a first user fell into.
 */
class FirstUseTest {

  @TempDir Path dir;

  private Path prior;

  @BeforeEach
  void writeAPrior() throws IOException {
    SupernetSpec small = SupernetSpec.profile("small");
    prior = dir.resolve("prior.fbb");
    BundleFiles.write(prior, StoredBundle.parameters(ParameterInitializer.initialize(small, 5), small, Map.of()));
  }

  /**
   * An ImageFolder of 8x8 grey PNGs, {@code perClass} per class: class {@code c} is a bright
   * column at {@code 2c+1} over noise, so a network can learn it in a few steps.
   */
  private static Path digits(Path root, int classes, int perClass) throws IOException {
    SplittableRandom rng = new SplittableRandom(42);
    for (int c = 0; c < classes; c++) {
      Path classDir = Files.createDirectories(root.resolve(Integer.toString(c)));
      for (int i = 0; i < perClass; i++) {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
          for (int x = 0; x < 8; x++) {
            int v = rng.nextInt(60) + (x == 2 * c + 1 ? 180 : 0);
            img.getRaster().setSample(x, y, 0, Math.min(255, v));
          }
        }
        ImageIO.write(img, "png", classDir.resolve(String.format("%03d.png", i)).toFile());
      }
    }
    return root;
  }

  @Test
  void adaptSaysWhatToRunNextAndTrainAndEvaluateFollowInTheProductsWords() throws IOException {
    Path data = digits(dir.resolve("digits"), 3, 24);
    Path adapted = dir.resolve("adapted");
    CliRun adapt =
        CliRun.of("adapt", "--prior", prior.toString(), "--data", "folder:" + data, "--steps", "4", "--eval-every", "2", "--batch", "8",
            "--out", adapted.toString());
    assertEquals(0, adapt.exit(), adapt.err());
    String next = "./fedbase train --genotype " + adapted.resolve("genotype.json") + " --data folder:" + data + " --out " + adapted.resolve("model");
    assertTrue(adapt.out().contains("next: train the network of this genotype on your data with\n  " + next), adapt.out());

    // the printed command runs as printed (with a budget small enough for a test)
    List<String> train = new ArrayList<>(Arrays.asList(next.substring("./fedbase ".length()).split(" ")));
    train.addAll(List.of("--epochs", "2", "--cells", "2", "--channels", "4", "--batch", "16"));
    CliRun trained = CliRun.of(train.toArray(String[]::new));
    assertEquals(0, trained.exit(), trained.err());
    Path model = adapted.resolve("model");
    String report = Files.readString(model.resolve("report.md"));
    assertTrue(report.contains("stem for 1x8x8 images, kept at 8x8 by 1 stride-1 conv layer"), report);
    assertFalse(report.contains("StemSpec") || report.contains("signature="), "no Java record text in a report: " + report);
    assertTrue(
        trained.out().contains("next: score the model on test data with\n  ./fedbase evaluate --model " + model + " --data TEST-DATA"), trained.out());

    CliRun unsaved = CliRun.of("evaluate", "--model", model.toString(), "--data", "folder:" + data);
    assertEquals(0, unsaved.exit(), unsaved.err());
    assertTrue(unsaved.out().contains("scores not saved to a file; add --json FILE"), unsaved.out());
    JsonParser.parseString(unsaved.lastLine()).getAsJsonObject();
    Path json = dir.resolve("scores/run1.json");
    CliRun saved = CliRun.of("evaluate", "--model", model.toString(), "--data", "folder:" + data, "--json", json.toString());
    assertEquals(0, saved.exit(), saved.err());
    assertTrue(saved.out().contains("scores written to " + json), saved.out());
    assertEquals(saved.lastLine(), Files.readString(json).strip());
  }

  @Test
  void anEmptyClassFolderIsAnErrorAndFailedRunsLeaveNoOutputDirectory() throws IOException {
    Path data = digits(dir.resolve("digits"), 3, 6);
    Files.createDirectories(data.resolve("3"));
    Path out = dir.resolve("adapted");
    CliRun adapt = CliRun.of("adapt", "--prior", prior.toString(), "--data", "folder:" + data, "--steps", "2", "--out", out.toString());
    assertEquals(2, adapt.exit(), "an error, not a 3-way classifier for 4 classes: " + adapt.out());
    assertTrue(adapt.err().contains("class folder 3 has no PNG or JPEG images"), adapt.err());
    assertFalse(Files.exists(out), "a failed adapt leaves no directory behind");

    Path genotype = dir.resolve("genotype.txt");
    Files.writeString(genotype, "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('max_pool_3x3', 0), ('skip_connect', 2),"
        + " ('sep_conv_3x3', 1), ('skip_connect', 0)], normal_concat=range(2, 5), reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 1),"
        + " ('skip_connect', 0), ('dil_conv_3x3', 2), ('skip_connect', 0), ('sep_conv_3x3', 3)], reduce_concat=range(2, 5))\n");
    Path model = dir.resolve("model");
    assertEquals(2, CliRun.of("train", "--genotype", genotype.toString(), "--data", "folder:" + data, "--out", model.toString()).exit());
    assertFalse(Files.exists(model), "a failed train leaves no directory behind");
    Path metaOut = dir.resolve("meta");
    assertEquals(2, CliRun.of("meta-train", "--data", "folder:" + data, "--rounds", "1", "--out", metaOut.toString()).exit());
    assertFalse(Files.exists(metaOut), "a failed meta-train leaves no directory behind");

    // a prior that turns out to be unusable is found before anything is written, too
    Path corrupt = dir.resolve("corrupt.fbb");
    Files.writeString(corrupt, "FBBUNDLE and then nothing");
    Files.delete(data.resolve("3"));
    assertEquals(2, CliRun.of("adapt", "--prior", corrupt.toString(), "--data", "folder:" + data, "--out", out.toString()).exit());
    assertFalse(Files.exists(out));

    // the demo checks its held-out data before running a federation, and removes what it created
    Path demo = dir.resolve("demo");
    CliRun demoRun = CliRun.of("demo", "--rounds", "1", "--test-data", "idx:" + dir.resolve("missing"), "--out", demo.toString());
    assertEquals(2, demoRun.exit(), demoRun.out());
    assertTrue(demoRun.err().contains("missing IDX file"), demoRun.err());
    assertFalse(demoRun.out().contains("fedbase demo: a coordinator"), "no federation was started: " + demoRun.out());
    assertFalse(Files.exists(demo));

    // a directory the user made is theirs: a failure never removes it
    Path mine = Files.createDirectories(dir.resolve("mine"));
    Files.createDirectories(data.resolve("3"));
    assertEquals(2, CliRun.of("adapt", "--prior", prior.toString(), "--data", "folder:" + data, "--out", mine.toString()).exit());
    assertTrue(Files.isDirectory(mine));
  }

  @Test
  void everyCommandsSummaryIsOneWholeSentence() {
    CommandLine root = FedbaseCli.newCommandLine();
    List<CommandLine> all = new ArrayList<>();
    collect(root, all);
    assertTrue(all.size() > 30, "every command and subcommand: " + all.size());
    String help = CliRun.of("--help").out().replaceAll("\\s+", " ");
    for (CommandLine c : all) {
      String name = c.getCommandSpec().qualifiedName();
      // picocli lists a command by its header when it has one, else by its description's first line
      String[] header = c.getCommandSpec().usageMessage().header();
      String[] description = c.getCommandSpec().usageMessage().description();
      assertTrue(header.length + description.length > 0, name + " has a description");
      String summary = header.length > 0 ? header[0] : description[0];
      assertTrue(summary.endsWith("."), name + ": the summary line ends a sentence: " + summary);
      assertTrue(summary.length() <= 100, name + ": the summary fits on one line: " + summary);
      if (c.getParent() == root && !c.getCommandSpec().usageMessage().hidden()) {
        assertTrue(help.contains(summary), "fedbase --help shows " + name + "'s whole summary: " + help);
      }
    }
  }

  private static void collect(CommandLine c, List<CommandLine> into) {
    into.add(c);
    c.getSubcommands().values().stream().distinct().forEach(s -> collect(s, into));
  }

  @Test
  void benchAdaptationGivesImagesOfAnotherSizeAFreshStemAsAdaptDoes() throws IOException {
    Path data = digits(dir.resolve("digits"), 4, 12);
    CliRun bench =
        CliRun.of(
            "bench", "adaptation", "--prior", prior.toString(), "--test-data", "folder:" + data, "--test-classes", "0-3", "--tasks", "2",
            "--shots", "2", "--queries", "2", "--steps", "0,1", "--threads", "1");
    assertEquals(0, bench.exit(), bench.err());
    JsonObject line = JsonParser.parseString(bench.lastLine()).getAsJsonObject();
    assertEquals("1x8x8", line.get("fresh_stem").getAsString());
    assertTrue(bench.err().contains("no stem for 1x8x8 images; a freshly initialised stem was added"), bench.err());
    assertEquals(2, line.getAsJsonArray("results").size() - 1, "a row per step count");
  }

  @Test
  void aBenchmarkRecordsItsCommandInputsVersionAndMachine() throws IOException {
    Path out = dir.resolve("bench");
    String[] args = {
      "bench", "adaptation", "--prior", prior.toString(), "--test-data", "fashion-mnist:test", "--test-classes", "6-9", "--tasks", "2",
      "--steps", "0,1", "--threads", "1", "--out", out.toString()
    };
    CliRun bench = CliRun.of(args);
    assertEquals(0, bench.exit(), bench.err());
    JsonObject line = JsonParser.parseString(bench.lastLine()).getAsJsonObject();
    JsonObject written = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
    assertEquals(line, written, "the printed line and results.json are the same result");
    assertFalse(line.has("meta_train_seconds"), "no meta-training happened, so no meta-training time: " + line);
    assertEquals(prior.toString(), line.get("prior").getAsString());

    JsonObject p = line.getAsJsonObject("provenance");
    List<String> command = new ArrayList<>();
    p.getAsJsonArray("command").forEach(e -> command.add(e.getAsString()));
    List<String> expected = new ArrayList<>(List.of("fedbase"));
    expected.addAll(List.of(args));
    assertEquals(expected, command);
    JsonArray inputs = p.getAsJsonArray("inputs");
    JsonObject priorInput = inputs.get(0).getAsJsonObject();
    assertEquals("prior", priorInput.get("role").getAsString());
    assertEquals(prior.toAbsolutePath().toString(), priorInput.get("path").getAsString());
    assertEquals(Digests.sha256Hex(prior), priorInput.get("sha256").getAsString());
    assertEquals(Files.size(prior), priorInput.get("bytes").getAsLong());
    JsonObject testInput = inputs.get(1).getAsJsonObject();
    assertEquals("fashion-mnist:test", testInput.get("data").getAsString());
    assertEquals("6-9", testInput.get("classes").getAsString());
    assertTrue(p.get("fedbase_version").getAsString().length() > 0 && p.has("fedbase_commit"), p.toString());
    assertEquals(Runtime.getRuntime().availableProcessors(), p.get("cpus_online").getAsInt());
    assertTrue(p.get("cpu_budget").getAsString().contains("CPU"), p.toString());
    assertEquals("1", p.get("threads_setting").getAsString());
    assertTrue(p.has("engine_threads") && p.has("java") && p.has("os") && p.has("started"), p.toString());

    String md = Files.readString(out.resolve("results.md"));
    assertTrue(md.contains("## Provenance"), md);
    assertTrue(md.contains(Digests.sha256Hex(prior)), md);
    assertTrue(md.contains("- command: `fedbase bench adaptation --prior " + prior), md);
  }
}
