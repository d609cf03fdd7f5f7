package io.fedbase.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.space.InputSignature;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CutoutTest {

  private static final InputSignature RGB = new InputSignature(3, 20, 20);

  @Test
  void zeroesOneClippedSquarePerImageInEveryChannel() {
    float[] images = new float[4 * RGB.size()];
    Arrays.fill(images, 1f);
    new Cutout(6).apply(images, RGB, new SplittableRandom(3));
    for (int n = 0; n < 4; n++) {
      int[] zeros = new int[3];
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 400; i++) {
          if (images[n * RGB.size() + c * 400 + i] == 0f) {
            zeros[c]++;
          }
        }
      }
      assertEquals(zeros[0], zeros[1]);
      assertEquals(zeros[0], zeros[2]);
      assertTrue(zeros[0] >= 9 && zeros[0] <= 36, "a 6x6 square clipped at the border at most to 3x3, got " + zeros[0]);
    }
  }

  @Test
  void coversTheWholeSquareAwayFromTheBorderOnAverage() {
    int full = 0;
    SplittableRandom rng = new SplittableRandom(5);
    for (int trial = 0; trial < 200; trial++) {
      float[] image = new float[RGB.size()];
      Arrays.fill(image, 1f);
      new Cutout(4).apply(image, RGB, rng);
      long zeros = 0;
      for (int i = 0; i < 400; i++) {
        zeros += image[i] == 0f ? 1 : 0;
      }
      full += zeros == 16 ? 1 : 0;
    }
    // centres 2..17 of 20 on both axes keep the whole square: (16/20)^2 = 64%
    assertEquals(0.64, full / 200.0, 0.1);
  }

  @Test
  void lengthZeroLeavesImagesAlone() {
    float[] images = {1f, 2f, 3f};
    new Cutout(0).apply(images, new InputSignature(1, 1, 3), new SplittableRandom(1));
    assertArrayEquals(new float[] {1f, 2f, 3f}, images);
    assertThrows(IllegalArgumentException.class, () -> new Cutout(-1));
  }
}
