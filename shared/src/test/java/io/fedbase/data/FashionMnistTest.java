package io.fedbase.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.space.InputSignature;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real Debian dataset (installed by .ci/run). */
class FashionMnistTest {

  private static ImageDataset train;

  @BeforeAll
  static void load() {
    train = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist"));
  }

  @Test
  void trainSplitHasSixtyThousandBalancedImages() {
    assertEquals(60_000, train.size());
    assertEquals(new InputSignature(1, 28, 28), train.signature());
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), train.classes());
    for (int c = 0; c < 10; c++) {
      assertEquals(6_000, train.countOf(c));
    }
  }

  @Test
  void testSplitAndClassSubsets() {
    ImageDataset test = new DatasetLoader().load(DatasetSpec.parse("fashion-mnist:test"));
    assertEquals(10_000, test.size());
    ImageDataset heldOut = test.select(ClassSelection.parse("6-9"));
    assertEquals(List.of(6, 7, 8, 9), heldOut.classes());
    assertEquals(4_000, heldOut.size());
    DataException e = assertThrows(DataException.class, () -> heldOut.select(ClassSelection.parse("5-6")));
    assertTrue(e.getMessage().contains("[5]"), e.getMessage());
  }

  @Test
  void normalisedPixelsHaveRoughlyZeroMeanUnitSpread() {
    float[] px = new float[784];
    double sum = 0;
    double sq = 0;
    int n = 0;
    for (int i = 0; i < 60_000; i += 60) {
      train.writeNormalized(i, px, 0);
      for (float v : px) {
        sum += v;
        sq += v * v;
        n++;
      }
    }
    double mean = sum / n;
    double std = Math.sqrt(sq / n - mean * mean);
    assertEquals(0, mean, 0.05);
    assertEquals(1, std, 0.05);
  }
}
