package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Cutout (DeVries and Taylor 2017), as DARTS applies it: one square of side {@code length} per
 * image, centred uniformly at random and clipped at the border, set to zero in every channel. On
 * normalised images zero is the dataset's mean pixel.
 */
public record Cutout(int length) {

  public Cutout {
    if (length < 0) {
      throw new IllegalArgumentException("cutout length must not be negative, got " + length);
    }
  }

  /** Applies cutout in place to every C*H*W image in {@code images}. */
  public void apply(float[] images, InputSignature signature, SplittableRandom rng) {
    if (length == 0) {
      return;
    }
    int h = signature.height();
    int w = signature.width();
    int plane = h * w;
    int count = images.length / signature.size();
    for (int n = 0; n < count; n++) {
      int cy = rng.nextInt(h);
      int cx = rng.nextInt(w);
      int y0 = Math.max(0, cy - length / 2);
      int y1 = Math.min(h, cy + length - length / 2);
      int x0 = Math.max(0, cx - length / 2);
      int x1 = Math.min(w, cx + length - length / 2);
      for (int c = 0; c < signature.channels(); c++) {
        int base = n * signature.size() + c * plane;
        for (int y = y0; y < y1; y++) {
          Arrays.fill(images, base + y * w + x0, base + y * w + x1, 0f);
        }
      }
    }
  }
}
