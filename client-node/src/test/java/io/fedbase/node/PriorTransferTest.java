package io.fedbase.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.data.ClassSelection;
import io.fedbase.data.DatasetLoader;
import io.fedbase.data.DatasetSpec;
import io.fedbase.data.ImageDataset;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.node.adapt.PriorTransfer;
import io.fedbase.space.InputSignature;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorNames;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Fitting a prior to a user's data, and splitting that data. */
class PriorTransferTest {

  private final SupernetSpec spec = SupernetSpec.profile("small");
  private final Bundle prior = ParameterInitializer.initialize(spec, 1);

  @Test
  void matchingDataKeepsEveryTensor() {
    PriorTransfer t = PriorTransfer.of(spec, prior, new InputSignature(1, 28, 28), 4, 9);
    assertTrue(t.notes().isEmpty());
    assertArrayEquals(prior.toArray(), t.start().toArray(), 0f);
  }

  @Test
  void aNewSignatureAndClassCountGetFreshStemAndClassifierAndKeepTheCells() {
    PriorTransfer t = PriorTransfer.of(spec, prior, new InputSignature(3, 16, 16), 3, 9);
    assertEquals(2, t.notes().size(), t.notes().toString());
    assertTrue(t.spec().stemFor(new InputSignature(3, 16, 16)).isPresent());
    assertEquals(3, t.spec().ways());
    for (var tensor : t.start().layout().tensors()) {
      boolean kept = prior.layout().contains(tensor.name()) && Arrays.equals(prior.layout().tensors().get(prior.layout().indexOf(tensor.name())).shape(), tensor.shape());
      if (kept) {
        assertArrayEquals(prior.tensor(tensor.name()), t.start().tensor(tensor.name()), 0f, tensor.name());
      }
    }
    assertFalse(t.start().layout().tensors().stream().filter(x -> x.name().equals(TensorNames.CLASSIFIER_WEIGHT)).findFirst().map(x -> x.shape()[0] == 4).orElse(true));
    assertArrayEquals(
        prior.tensor(TensorNames.alpha(io.fedbase.space.CellType.NORMAL)), t.start().tensor(TensorNames.alpha(io.fedbase.space.CellType.NORMAL)), 0f);
  }

  @Test
  void splitsAreStratifiedSeededAndRelabelled() {
    ImageDataset data = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist:test")).select(ClassSelection.parse("6-8"));
    LabelledImages.Split a = LabelledImages.split(data, 0.2, 90, 40, 5);
    LabelledImages.Split b = LabelledImages.split(data, 0.2, 90, 40, 5);
    assertEquals(90, a.heldOut().size());
    assertEquals(120, a.adapt().size());
    assertArrayEquals(a.adapt().images(), b.adapt().images(), 0f);
    assertEquals(30, Arrays.stream(a.heldOut().labels()).filter(l -> l == 2).count());
    // scored in chunks that normalise BN by their own statistics, so no chunk may be one class
    assertEquals(3, Arrays.stream(a.heldOut().labels(), 0, 30).distinct().count(), "held-out classes are mixed");
    assertArrayEquals(a.heldOut().labels(), b.heldOut().labels());
    assertTrue(Arrays.stream(a.adapt().labels()).allMatch(l -> l >= 0 && l < 3));
    assertThrows(IllegalArgumentException.class, () -> LabelledImages.split(data.select(ClassSelection.parse("6")), 0.2, 90, 40, 5));
    assertThrows(IllegalArgumentException.class, () -> LabelledImages.split(data, 1.5, 90, 40, 5));
  }
}
