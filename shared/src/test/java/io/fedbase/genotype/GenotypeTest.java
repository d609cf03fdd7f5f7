package io.fedbase.genotype;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.genotype.Genotype.Choice;
import io.fedbase.space.CellType;
import io.fedbase.space.Operation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenotypeTest {

  private static final List<Operation> OPS =
      List.of(Operation.NONE, Operation.MAX_POOL_3X3, Operation.SKIP_CONNECT, Operation.SEP_CONV_3X3, Operation.DIL_CONV_3X3);

  @TempDir Path dir;

  /** 2 nodes (5 edges), all logits 0 except the given (edge, op, value) triples. */
  private static float[][] logits(float[]... entries) {
    float[][] m = new float[5][OPS.size()];
    for (float[] e : entries) {
      m[(int) e[0]][(int) e[1]] = e[2];
    }
    return m;
  }

  private static ArchitectureLogits arch(float[][] normal, float[][] reduce) {
    return new ArchitectureLogits(OPS, 2, normal, reduce);
  }

  @Test
  void baseRuleTakesTwoOpsFromADominantInputWhereDartsTakesTwoEdges() {
    // node 0: edge 0 (state 0) likes dil_conv (0.61) and sep_conv (0.37); edge 1 mildly max_pool (0.29)
    float[][] n = logits(new float[] {0, 3, 4.5f}, new float[] {0, 4, 5}, new float[] {1, 1, 0.5f});
    ArchitectureLogits a = arch(n, n);
    Genotype base = GenotypeRule.BASE.derive(a);
    Genotype darts = GenotypeRule.DARTS.derive(a);
    assertEquals(List.of(new Choice(Operation.DIL_CONV_3X3, 0), new Choice(Operation.SEP_CONV_3X3, 0)), base.normal().subList(0, 2));
    assertEquals(List.of(new Choice(Operation.DIL_CONV_3X3, 0), new Choice(Operation.MAX_POOL_3X3, 1)), darts.normal().subList(0, 2));
  }

  @Test
  void noneIsNeverChosenEvenWhenItDominates() {
    float[][] n = new float[5][OPS.size()];
    for (float[] row : n) {
      row[0] = 10f;
    }
    for (GenotypeRule rule : GenotypeRule.values()) {
      Genotype g = rule.derive(arch(n, n));
      for (CellType type : CellType.values()) {
        g.cell(type).forEach(c -> assertTrue(c.op() != Operation.NONE, rule + " chose none"));
      }
      g.validate(OPS, 2);
    }
  }

  @Test
  void tiesBreakTowardsLowerEdgeThenLowerOp() {
    float[][] uniform = new float[5][OPS.size()];
    Genotype base = GenotypeRule.BASE.derive(arch(uniform, uniform));
    assertEquals(List.of(new Choice(Operation.MAX_POOL_3X3, 0), new Choice(Operation.SKIP_CONNECT, 0)), base.normal().subList(0, 2));
    Genotype darts = GenotypeRule.DARTS.derive(arch(uniform, uniform));
    assertEquals(List.of(new Choice(Operation.MAX_POOL_3X3, 0), new Choice(Operation.MAX_POOL_3X3, 1)), darts.normal().subList(0, 2));
    // node 1 under DARTS: states 0 and 1 tie, state 2 loses
    assertEquals(List.of(0, 1), List.of(darts.normal().get(2).input(), darts.normal().get(3).input()));
  }

  @Test
  void softmaxRowsSumToOneAndUniformEntropyIsLogOps() {
    ArchitectureLogits a = arch(new float[5][OPS.size()], logits(new float[] {2, 3, 7}));
    for (double[] row : a.softmax(CellType.REDUCE)) {
      double s = 0;
      for (double v : row) {
        s += v;
      }
      assertEquals(1.0, s, 1e-12);
    }
    assertEquals(Math.log(OPS.size()), a.meanEntropy(CellType.NORMAL), 1e-12);
    assertTrue(a.meanEntropy(CellType.REDUCE) < Math.log(OPS.size()));
  }

  @Test
  void theSoftmaxAtATemperatureDividesTheLogitsByIt() {
    float[][] normal = new float[5][OPS.size()];
    normal[0] = new float[] {0f, 1f, 2f, 0f, 0f};
    ArchitectureLogits a = arch(normal, new float[5][OPS.size()]);
    double[][] p = a.softmax(CellType.NORMAL, 0.5);
    double z = 3 + Math.exp(2) + Math.exp(4);
    assertEquals(Math.exp(4) / z, p[0][2], 1e-12);
    assertEquals(1.0 / OPS.size(), p[1][0], 1e-12);
    assertArrayEquals(a.softmax(CellType.NORMAL)[0], a.softmax(CellType.NORMAL, 1.0)[0], 0.0);
    assertThrows(IllegalArgumentException.class, () -> a.softmax(CellType.NORMAL, 0));
    assertThrows(IllegalArgumentException.class, () -> a.softmax(CellType.NORMAL, Double.POSITIVE_INFINITY));
  }

  private static final Genotype HAND =
      new Genotype(
          2,
          List.of(
              new Choice(Operation.SEP_CONV_3X3, 0),
              new Choice(Operation.SEP_CONV_3X3, 1),
              new Choice(Operation.SKIP_CONNECT, 0),
              new Choice(Operation.DIL_CONV_3X3, 2)),
          List.of(
              new Choice(Operation.MAX_POOL_3X3, 0),
              new Choice(Operation.SEP_CONV_3X3, 0),
              new Choice(Operation.SKIP_CONNECT, 2),
              new Choice(Operation.MAX_POOL_3X3, 1)));

  @Test
  void dartsNotationIsExactAndRoundTrips() {
    String text = DartsNotation.format(HAND);
    assertEquals(
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
            + "normal_concat=range(2, 4), reduce=[('max_pool_3x3', 0), ('sep_conv_3x3', 0), ('skip_connect', 2), "
            + "('max_pool_3x3', 1)], reduce_concat=range(2, 4))",
        text);
    assertEquals(HAND, DartsNotation.parse(text));
    assertEquals(HAND, DartsNotation.parse(text.replace(", ", ",\n   ")));
    for (String bad :
        new String[] {"Genotype(normal=[('sep_conv_3x3', 0)])", "hello", "Genotype(normal=[('warp', 0), ('skip_connect', 1)], reduce=[('warp', 0), ('skip_connect', 1)])"}) {
      assertThrows(IllegalArgumentException.class, () -> DartsNotation.parse(bad), bad);
    }
  }

  @Test
  void jsonHoldsBothRulesAndRoundTrips() throws IOException {
    float[][] n = logits(new float[] {0, 3, 2}, new float[] {3, 4, 1});
    ArchitectureLogits a = arch(n, n);
    Path file = dir.resolve("genotype.json");
    GenotypeJson.write(file, a, GenotypeRule.BASE, Map.of("tau", "0.3"));
    assertEquals(GenotypeRule.BASE.derive(a), GenotypeJson.read(file));
    String text = Files.readString(file);
    assertTrue(text.contains("\"alternatives\"") && text.contains("\"darts\"") && text.contains("\"softmax\""));
    Files.writeString(dir.resolve("bad.json"), "{\"format\": \"other\"}");
    assertThrows(IllegalArgumentException.class, () -> GenotypeJson.read(dir.resolve("bad.json")));
    Files.writeString(dir.resolve("broken.json"), "{not json");
    assertThrows(IllegalArgumentException.class, () -> GenotypeJson.read(dir.resolve("broken.json")));
    String chosenOp = GenotypeRule.BASE.derive(a).normal().get(0).op().dartsName();
    Files.writeString(dir.resolve("op.json"), text.replace("\"" + chosenOp + "\"", "\"teleport\""));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenotypeJson.read(dir.resolve("op.json")));
    assertTrue(e.getMessage().contains("teleport"), e.getMessage());
  }

  @Test
  void aReadOutOtherThanTheLogitsChoosesTheGenotypeAndIsRecorded() throws IOException {
    // the logits favour max_pool on node 0's first edge; the measured scores favour skip_connect and dil_conv
    float[][] n = logits(new float[] {0, 1, 6}, new float[] {1, 1, 6});
    ArchitectureLogits a = arch(n, n);
    double[][] measured = new double[5][OPS.size()];
    measured[0][2] = 0.04;
    measured[0][4] = 0.03;
    measured[1][1] = 0.01;
    OperationScores scores = new OperationScores("perturbation", OPS, 2, measured, measured);
    Genotype chosen = GenotypeRule.BASE.derive(scores);
    assertEquals(List.of(new Choice(Operation.SKIP_CONNECT, 0), new Choice(Operation.DIL_CONV_3X3, 0)), chosen.normal().subList(0, 2));
    assertEquals(Operation.MAX_POOL_3X3, GenotypeRule.BASE.derive(a).normal().get(0).op());
    Path file = dir.resolve("perturbation.json");
    GenotypeJson.write(file, a, scores, GenotypeRule.BASE, Map.of());
    assertEquals(chosen, GenotypeJson.read(file));
    String text = Files.readString(file);
    assertTrue(text.contains("\"readout\": \"perturbation\"") && text.contains("\"scores\"") && text.contains("\"logits\""), text);
    GenotypeJson.write(file, a, GenotypeRule.BASE, Map.of());
    assertTrue(!Files.readString(file).contains("\"scores\""), "the softmax is not written twice");
    OperationScores otherSpace = new OperationScores("perturbation", OPS.subList(0, 4), 2, new double[5][4], new double[5][4]);
    assertThrows(IllegalArgumentException.class, () -> GenotypeJson.toJson(a, otherSpace, GenotypeRule.BASE, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> new OperationScores("x", OPS, 3, measured, measured));
  }

  @Test
  void validationNamesTheProblem() {
    HAND.validate(OPS, 2);
    IllegalArgumentException range =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Genotype(2, List.of(HAND.normal().get(0), HAND.normal().get(1), new Choice(Operation.SKIP_CONNECT, 5), HAND.normal().get(3)), HAND.reduce()).validate(OPS, 2));
    assertTrue(range.getMessage().contains("reads state 5"), range.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HAND.validate(OPS, 3));
    assertThrows(IllegalArgumentException.class, () -> HAND.validate(List.of(Operation.NONE, Operation.SEP_CONV_3X3), 2));
    Genotype withNone = new Genotype(2, List.of(new Choice(Operation.NONE, 0), HAND.normal().get(1), HAND.normal().get(2), HAND.normal().get(3)), HAND.reduce());
    assertThrows(IllegalArgumentException.class, () -> withNone.validate(OPS, 2));
  }

  @Test
  void randomGenotypesAreValidAndCoverTheSpaceUniformly() {
    List<Operation> space = List.of(Operation.NONE, Operation.MAX_POOL_3X3, Operation.SKIP_CONNECT, Operation.SEP_CONV_3X3);
    java.util.SplittableRandom rng = new java.util.SplittableRandom(11);
    Map<Operation, Integer> ops = new java.util.EnumMap<>(Operation.class);
    Map<String, Integer> lastNodeInputs = new java.util.HashMap<>();
    int draws = 3000;
    for (int i = 0; i < draws; i++) {
      Genotype g = Genotype.random(space, 3, rng);
      g.validate(space, 3);
      for (CellType type : CellType.values()) {
        List<Choice> cell = g.cell(type);
        cell.forEach(c -> ops.merge(c.op(), 1, Integer::sum));
        assertTrue(cell.get(4).input() != cell.get(5).input(), "a node reads two distinct states");
      }
      List<Choice> normal = g.normal();
      int a = Math.min(normal.get(4).input(), normal.get(5).input());
      int b = Math.max(normal.get(4).input(), normal.get(5).input());
      lastNodeInputs.merge(a + "," + b, 1, Integer::sum);
    }
    assertEquals(null, ops.get(Operation.NONE));
    double perOp = draws * 2 * 6 / 3.0;
    for (Operation op : List.of(Operation.MAX_POOL_3X3, Operation.SKIP_CONNECT, Operation.SEP_CONV_3X3)) {
      assertEquals(perOp, ops.get(op), perOp * 0.05, op + " drawn " + ops.get(op) + " times");
    }
    // node 2 reads 2 of 4 states: 6 pairs, each 1/6 of the draws
    assertEquals(6, lastNodeInputs.size());
    lastNodeInputs.values().forEach(n -> assertEquals(draws / 6.0, n, draws / 6.0 * 0.15));
  }
}
