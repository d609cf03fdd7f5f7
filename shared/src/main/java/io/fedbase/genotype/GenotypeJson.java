package io.fedbase.genotype;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.fedbase.space.CellType;
import io.fedbase.space.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code genotype.json}: the chosen read-out and the alternative rule's, what they were read off
 * ("readout", and its "scores" when they are not the logits' softmax), the logits and their
 * softmax, the DARTS notation, and free metadata. Readers need only "genotype" and "nodes".
 */
public final class GenotypeJson {

  public static final String FORMAT = "fedbase-genotype/1";
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();

  private GenotypeJson() {}

  /** The JSON document for {@code logits} read out by {@code rule} (the other rule goes under "alternatives"). */
  public static JsonObject toJson(ArchitectureLogits logits, GenotypeRule rule, Map<String, String> metadata) {
    return toJson(logits, OperationScores.softmaxOf(logits), rule, metadata);
  }

  /**
   * The JSON document for the genotype {@code rule} reads off {@code readout} (the other rule's, off
   * the same scores, goes under "alternatives"); {@code logits} are recorded beside it.
   */
  public static JsonObject toJson(ArchitectureLogits logits, OperationScores readout, GenotypeRule rule, Map<String, String> metadata) {
    if (!readout.ops().equals(logits.ops()) || readout.nodes() != logits.nodes()) {
      throw new IllegalArgumentException("the read-out's scores and the logits must index the same operations and nodes");
    }
    Genotype chosen = rule.derive(readout);
    JsonObject root = new JsonObject();
    root.addProperty("format", FORMAT);
    root.addProperty("rule", rule.key());
    root.addProperty("readout", readout.source());
    root.addProperty("nodes", logits.nodes());
    JsonArray ops = new JsonArray();
    logits.ops().forEach(o -> ops.add(o.dartsName()));
    root.add("operations", ops);
    root.add("genotype", genotypeJson(chosen));
    JsonObject alternatives = new JsonObject();
    for (GenotypeRule other : GenotypeRule.values()) {
      if (other != rule) {
        alternatives.add(other.key(), genotypeJson(other.derive(readout)));
      }
    }
    root.add("alternatives", alternatives);
    JsonObject l = new JsonObject();
    JsonObject s = new JsonObject();
    JsonObject entropy = new JsonObject();
    for (CellType type : CellType.values()) {
      l.add(type.key(), matrix(logits.of(type)));
      s.add(type.key(), matrix(logits.softmax(type)));
      entropy.addProperty(type.key(), logits.meanEntropy(type));
    }
    root.add("logits", l);
    root.add("softmax", s);
    root.add("mean_entropy", entropy);
    if (!readout.isSoftmax()) {
      JsonObject scores = new JsonObject();
      for (CellType type : CellType.values()) {
        scores.add(type.key(), matrix(readout.of(type)));
      }
      root.add("scores", scores);
    }
    root.addProperty("darts_notation", DartsNotation.format(chosen));
    JsonObject meta = new JsonObject();
    metadata.forEach(meta::addProperty);
    root.add("metadata", meta);
    return root;
  }

  /** Writes {@code genotype.json} read off the logits' softmax. */
  public static void write(Path file, ArchitectureLogits logits, GenotypeRule rule, Map<String, String> metadata)
      throws IOException {
    write(file, logits, OperationScores.softmaxOf(logits), rule, metadata);
  }

  /** Writes {@code genotype.json} read off {@code readout}. */
  public static void write(Path file, ArchitectureLogits logits, OperationScores readout, GenotypeRule rule, Map<String, String> metadata)
      throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Files.writeString(file, GSON.toJson(toJson(logits, readout, rule, metadata)) + "\n");
  }

  /** Reads the chosen genotype of a {@code genotype.json}. */
  public static Genotype read(Path file) throws IOException {
    String text = Files.readString(file);
    try {
      return parse(JsonParser.parseString(text));
    } catch (JsonParseException | IllegalStateException | UnsupportedOperationException | NullPointerException e) {
      throw new IllegalArgumentException(file + " is not a valid genotype.json: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * The search space's operations named in a {@code genotype.json} ("operations"), or every
   * operation when the file does not say.
   */
  public static List<Operation> readOperations(Path file) throws IOException {
    try {
      JsonObject root = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
      if (!root.has("operations")) {
        return List.of(Operation.values());
      }
      List<Operation> ops = new ArrayList<>();
      for (JsonElement e : root.getAsJsonArray("operations")) {
        ops.add(Operation.fromDartsName(e.getAsString()));
      }
      return List.copyOf(ops);
    } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
      throw new IllegalArgumentException(file + " is not a valid genotype.json: " + e.getMessage(), e);
    }
  }

  static Genotype parse(JsonElement element) {
    JsonObject root = element.getAsJsonObject();
    if (!root.has("format") || !FORMAT.equals(root.get("format").getAsString())) {
      throw new IllegalArgumentException("format tag must be " + FORMAT);
    }
    if (!root.has("genotype") || !root.has("nodes")) {
      throw new IllegalArgumentException("missing 'genotype' or 'nodes'");
    }
    int nodes = root.get("nodes").getAsInt();
    JsonObject g = root.getAsJsonObject("genotype");
    return new Genotype(nodes, choices(g, "normal"), choices(g, "reduce"));
  }

  private static List<Genotype.Choice> choices(JsonObject g, String key) {
    if (!g.has(key)) {
      throw new IllegalArgumentException("genotype has no '" + key + "' cell");
    }
    List<Genotype.Choice> out = new ArrayList<>();
    for (JsonElement e : g.getAsJsonArray(key)) {
      JsonArray pair = e.getAsJsonArray();
      if (pair.size() != 2) {
        throw new IllegalArgumentException("each choice is [op, input], got " + pair);
      }
      out.add(new Genotype.Choice(Operation.fromDartsName(pair.get(0).getAsString()), pair.get(1).getAsInt()));
    }
    return out;
  }

  private static JsonObject genotypeJson(Genotype g) {
    JsonObject o = new JsonObject();
    for (CellType type : CellType.values()) {
      JsonArray cell = new JsonArray();
      for (Genotype.Choice c : g.cell(type)) {
        JsonArray pair = new JsonArray();
        pair.add(c.op().dartsName());
        pair.add(c.input());
        cell.add(pair);
      }
      o.add(type.key(), cell);
      JsonArray concat = new JsonArray();
      g.concat().forEach(concat::add);
      o.add(type.key() + "_concat", concat);
    }
    return o;
  }

  private static JsonArray matrix(float[][] m) {
    JsonArray rows = new JsonArray();
    for (float[] r : m) {
      JsonArray row = new JsonArray();
      for (float v : r) {
        row.add(v);
      }
      rows.add(row);
    }
    return rows;
  }

  private static JsonArray matrix(double[][] m) {
    JsonArray rows = new JsonArray();
    for (double[] r : m) {
      JsonArray row = new JsonArray();
      for (double v : r) {
        row.add(Math.round(v * 1e6) / 1e6);
      }
      rows.add(row);
    }
    return rows;
  }
}
