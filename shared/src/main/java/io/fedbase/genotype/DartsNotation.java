package io.fedbase.genotype;

import io.fedbase.space.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * DARTS' Python notation, {@code Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=range(2,
 * 6), reduce=[...], reduce_concat=range(2, 6))}, so a found cell can be trained in the PyTorch world.
 */
public final class DartsNotation {

  private static final Pattern CELL = Pattern.compile("(normal|reduce)\\s*=\\s*\\[(.*?)\\]", Pattern.DOTALL);
  private static final Pattern PAIR = Pattern.compile("\\(\\s*'([a-z0-9_]+)'\\s*,\\s*(\\d+)\\s*\\)");

  private DartsNotation() {}

  /** Formats a genotype exactly as DARTS prints one. */
  public static String format(Genotype g) {
    String concat = "range(2, " + (g.nodes() + 2) + ")";
    return "Genotype(normal=" + cell(g.normal()) + ", normal_concat=" + concat + ", reduce=" + cell(g.reduce())
        + ", reduce_concat=" + concat + ")";
  }

  private static String cell(List<Genotype.Choice> choices) {
    return choices.stream()
        .map(c -> "('" + c.op().dartsName() + "', " + c.input() + ")")
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** Parses DARTS' notation; the node count is the number of pairs divided by two. */
  public static Genotype parse(String text) {
    String t = text.trim();
    if (!t.startsWith("Genotype(") || !t.endsWith(")")) {
      throw new IllegalArgumentException("not a DARTS genotype (expected Genotype(normal=[...], ...)): " + abbreviate(t));
    }
    List<Genotype.Choice> normal = null;
    List<Genotype.Choice> reduce = null;
    Matcher m = CELL.matcher(t);
    while (m.find()) {
      List<Genotype.Choice> choices = pairs(m.group(2), t);
      if (m.group(1).equals("normal")) {
        normal = choices;
      } else {
        reduce = choices;
      }
    }
    if (normal == null || reduce == null) {
      throw new IllegalArgumentException("DARTS genotype needs both normal=[...] and reduce=[...]: " + abbreviate(t));
    }
    if (normal.size() != reduce.size() || normal.isEmpty() || normal.size() % 2 != 0) {
      throw new IllegalArgumentException(
          "DARTS genotype needs the same even number of pairs in both cells, got " + normal.size() + " and " + reduce.size());
    }
    return new Genotype(normal.size() / 2, normal, reduce);
  }

  private static List<Genotype.Choice> pairs(String body, String whole) {
    List<Genotype.Choice> out = new ArrayList<>();
    Matcher p = PAIR.matcher(body);
    int end = 0;
    while (p.find()) {
      if (!body.substring(end, p.start()).replace(",", "").isBlank()) {
        throw new IllegalArgumentException("malformed pair list in DARTS genotype: " + abbreviate(whole));
      }
      out.add(new Genotype.Choice(Operation.fromDartsName(p.group(1)), Integer.parseInt(p.group(2))));
      end = p.end();
    }
    if (!body.substring(end).replace(",", "").isBlank()) {
      throw new IllegalArgumentException("malformed pair list in DARTS genotype: " + abbreviate(whole));
    }
    return out;
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
