package io.fedbase.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SupernetSpecTest {

  @Test
  void hashIsStableAndCoversSizesOpsAndTensors() {
    SupernetSpec small = SupernetSpec.profile("small");
    assertEquals(small.hash(), SupernetSpec.profile("small").hash());
    assertNotEquals(small.hash(), small.toBuilder().setChannels(16).build().hash());
    assertNotEquals(small.hash(), small.toBuilder().setWays(5).build().hash());
    assertNotEquals(
        small.hash(), small.toBuilder().setOperations(List.of(Operation.NONE, Operation.SEP_CONV_3X3)).build().hash());
    // the profile label is informational only
    assertEquals(small.hash(), small.toBuilder().setProfile("renamed").build().hash());
    // guards against an accidental change of the canonical text: a new value means every stored
    // prior becomes unreadable, so bump CANONICAL_VERSION deliberately when that is intended
    assertEquals(64, small.hash().length());
    assertTrue(small.canonicalText().startsWith("fedbase-supernet/1\n"));
  }

  @Test
  void smallProfileHasTheDocumentedShape() {
    SupernetSpec s = SupernetSpec.profile("small");
    assertEquals(9, s.edges());
    assertEquals(List.of(CellType.NORMAL, CellType.REDUCE), s.cells());
    // DARTS channel bookkeeping: stem 3C, normal cell C, reduction cell 2C, concat of 3 nodes
    assertEquals(24, s.stemChannels());
    assertEquals(24, s.cellPlans().get(0).outputChannels());
    assertEquals(48, s.cellPlans().get(1).outputChannels());
    TensorSpec alpha = s.tensors().stream().filter(t -> t.name().equals("alpha.normal")).findFirst().orElseThrow();
    assertEquals(List.of(9, 5), List.of(alpha.shape()[0], alpha.shape()[1]));
    assertTrue(alpha.logits());
    long[] counts = s.parameterCounts();
    assertEquals(90, counts[1]);
    assertTrue(counts[0] > 10_000 && counts[0] < 40_000, "weights " + counts[0]);
  }

  @Test
  void paperProfileFollowsDarts() {
    SupernetSpec p = SupernetSpec.profile("paper");
    assertEquals(14, p.edges());
    assertEquals(8, p.operations().size());
    assertEquals(CellType.REDUCE, p.cells().get(2));
    assertEquals(CellType.REDUCE, p.cells().get(5));
    assertTrue(p.cellPlans().get(3).reductionPrev());
    assertTrue(p.stemFor(new InputSignature(3, 224, 224)).isPresent());
  }

  @Test
  void strideTwoSkipOnReductionEdgesOwnsFactorizedReduceWeights() {
    SupernetSpec s = SupernetSpec.profile("small");
    // cell 1 is the reduction cell; edge 0 reads state 0 (strided), edge 4 reads node 0 (not)
    assertTrue(s.tensors().stream().anyMatch(t -> t.name().equals("cell1.edge0.skip_connect.conv1.weight")));
    assertTrue(s.tensors().stream().noneMatch(t -> t.name().startsWith("cell1.edge4.skip_connect")));
    assertTrue(s.tensors().stream().noneMatch(t -> t.name().startsWith("cell0.edge0.skip_connect")));
  }

  @Test
  void canonicalTextRebuildsTheSameSpec() {
    for (String profile : new String[] {"small", "paper"}) {
      SupernetSpec spec = SupernetSpec.profile(profile);
      SupernetSpec rebuilt = SupernetSpec.parseCanonical(spec.canonicalText());
      assertEquals(spec.hash(), rebuilt.hash());
      assertEquals(spec.tensors(), rebuilt.tensors());
    }
    String text = SupernetSpec.profile("small").canonicalText();
    assertThrows(IllegalArgumentException.class, () -> SupernetSpec.parseCanonical(text.replace("channels=8", "channels=x")));
    assertThrows(IllegalArgumentException.class, () -> SupernetSpec.parseCanonical(text.replace("fedbase-supernet/1", "v9")));
    // a tensor line that the sizes do not produce means the sender knows more than this parser
    assertThrows(IllegalArgumentException.class, () -> SupernetSpec.parseCanonical(text + "tensor=extra [1] weight\n"));
  }

  @Test
  void refusesNonsense() {
    SupernetSpec.Builder b = SupernetSpec.profile("small").toBuilder();
    assertThrows(IllegalArgumentException.class, () -> b.setOperations(List.of(Operation.NONE)).build());
    assertThrows(IllegalArgumentException.class, () -> SupernetSpec.profile("huge"));
    assertThrows(
        IllegalArgumentException.class,
        () -> SupernetSpec.profile("small").toBuilder().setOperations(List.of(Operation.SEP_CONV_3X3, Operation.SEP_CONV_3X3)).build());
    assertThrows(IllegalArgumentException.class, () -> SupernetSpec.profile("small").toBuilder().setWays(1).build());
  }

  @Test
  void defaultStemsDownsampleTowardsFourteenPixels() {
    assertEquals(2, StemSpec.defaultFor(new InputSignature(1, 28, 28)).downsample());
    assertEquals(8, StemSpec.defaultFor(new InputSignature(3, 224, 224)).downsample());
    assertEquals(1, StemSpec.defaultFor(new InputSignature(3, 16, 16)).downsample());
    SupernetSpec s = SupernetSpec.profile("small").withStemFor(new InputSignature(3, 64, 64));
    assertEquals(4, s.stemFor(new InputSignature(3, 64, 64)).orElseThrow().downsample());
    assertNotEquals(SupernetSpec.profile("small").hash(), s.hash());
  }
}
