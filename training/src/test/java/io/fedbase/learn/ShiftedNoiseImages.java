package io.fedbase.learn;

import io.fedbase.space.InputSignature;
import java.util.SplittableRandom;

/** Labelled test images a supernet can tell apart: Gaussian noise shifted by {@code shift} times the label, labels in turn. */
record ShiftedNoiseImages(float[] images, int[] labels) {

  static ShiftedNoiseImages of(int n, int ways, InputSignature signature, float shift, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] images = new float[n * signature.size()];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % ways;
    }
    for (int i = 0; i < images.length; i++) {
      images[i] = (float) rng.nextGaussian() + shift * labels[i / signature.size()];
    }
    return new ShiftedNoiseImages(images, labels);
  }
}
