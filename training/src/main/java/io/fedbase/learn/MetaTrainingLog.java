package io.fedbase.learn;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.DartsNotation;
import io.fedbase.genotype.GenotypeJson;
import io.fedbase.genotype.GenotypeRule;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.space.CellType;
import io.fedbase.space.SupernetSpec;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The output directory of a meta-training run: {@code run.json} (spec and settings), {@code
 * rounds.jsonl} (one line per round: losses, tau, step sizes, delta norms, logit entropy and the
 * genotype), prior bundles, and {@code genotype.json} of the final prior.
 */
public final class MetaTrainingLog implements AutoCloseable {

  private static final Gson GSON = new GsonBuilder()
          .disableHtmlEscaping()
          .serializeSpecialFloatingPointValues()
          .setFieldNamingPolicy(com.google.gson.FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
          .create();

  private final Path dir;
  private final SupernetSpec spec;
  private final BufferedWriter rounds;
  private String lastGenotype = "";
  private int roundsLogged;
  private Path lastSaved;

  private MetaTrainingLog(Path dir, SupernetSpec spec, BufferedWriter rounds) {
    this.dir = dir;
    this.spec = spec;
    this.rounds = rounds;
  }

  /** Creates (or appends to) the run directory and records the run's settings. */
  public static MetaTrainingLog create(Path dir, SupernetSpec spec, MetaTrainingConfig config, String optimizer)
      throws IOException {
    Files.createDirectories(dir);
    JsonObject run = new JsonObject();
    run.addProperty("spec", spec.toString());
    run.addProperty("spec_hash", spec.hash());
    run.add("config", GSON.toJsonTree(describe(config)));
    run.addProperty("meta_optimizer", optimizer);
    Files.writeString(dir.resolve("run.json"), GSON.newBuilder().setPrettyPrinting().create().toJson(run) + "\n");
    Files.writeString(dir.resolve("spec.txt"), spec.canonicalText());
    BufferedWriter w =
        Files.newBufferedWriter(
            dir.resolve("rounds.jsonl"), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    return new MetaTrainingLog(dir, spec, w);
  }

  /** The inner loop's settings under their CLI names, as a user reads them. */
  private static Map<String, Object> describe(InnerLoopConfig c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", c.steps());
    m.put("lr", c.weightLr());
    m.put("logit_lr", c.logitLr());
    m.put("logit_weight_decay", c.logitWeightDecay());
    m.put("adam_beta1", c.beta1());
    m.put("adam_beta2", c.beta2());
    m.put("batch", c.batchSize() == 0 ? "whole support set" : c.batchSize());
    m.put("relaxation", c.relaxation().key());
    m.put("adapt_logits", c.adaptLogits());
    m.put("logit_beta_decay", c.logitBetaDecay());
    return m;
  }

  private static Map<String, Object> describe(MetaTrainingConfig c) {
    return Map.of(
        "rounds", c.rounds(),
        "tasks_per_round", c.tasksPerRound(),
        "tasks", c.tasks().toString(),
        "inner", describe(c.inner()),
        "tau", c.tau().toString(),
        "warmup_rounds", c.warmupRounds(),
        "seed", c.seed());
  }

  /** Appends a round; also writes {@code prior-NNNNN.fbb} when {@code savePrior}. */
  public void round(RoundRecord record, Bundle prior, boolean savePrior) {
    ArchitectureLogits logits = ArchitectureLogits.of(prior, spec.operations(), spec.nodes());
    lastGenotype = DartsNotation.format(GenotypeRule.BASE.derive(logits));
    JsonObject line = GSON.toJsonTree(record).getAsJsonObject();
    line.addProperty("entropy_normal", logits.meanEntropy(CellType.NORMAL));
    line.addProperty("entropy_reduce", logits.meanEntropy(CellType.REDUCE));
    line.addProperty("genotype", lastGenotype);
    try {
      rounds.write(GSON.toJson(line));
      rounds.newLine();
      rounds.flush();
      roundsLogged++;
      if (savePrior) {
        Path file = dir.resolve(String.format("prior-%05d.fbb", record.round()));
        BundleFiles.write(file, StoredBundle.parameters(prior, spec, Map.of("round", Integer.toString(record.round()))));
        lastSaved = file;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@code prior-final.fbb} and {@code genotype.json}; returns the prior's path. */
  public Path finish(Bundle prior) throws IOException {
    Path file = dir.resolve("prior-final.fbb");
    BundleFiles.write(file, StoredBundle.parameters(prior, spec, Map.of("spec", spec.profileName())));
    ArchitectureLogits logits = ArchitectureLogits.of(prior, spec.operations(), spec.nodes());
    GenotypeJson.write(dir.resolve("genotype.json"), logits, GenotypeRule.BASE, Map.of("source", file.toString()));
    lastGenotype = DartsNotation.format(GenotypeRule.BASE.derive(logits));
    return file;
  }

  /** What a run stopped now leaves behind, in one phrase. */
  public String kept() {
    if (roundsLogged == 0) {
      return "nothing (stopped before the first round ended)";
    }
    return roundsLogged + " rounds in " + dir.resolve("rounds.jsonl")
        + (lastSaved == null ? " and no prior (save some with --save-every)" : " and " + lastSaved + " (continue from it with --init)");
  }

  /** The BASE-rule genotype of the latest prior, in DARTS notation. */
  public String lastGenotype() {
    return lastGenotype;
  }

  @Override
  public void close() throws IOException {
    rounds.close();
  }
}
