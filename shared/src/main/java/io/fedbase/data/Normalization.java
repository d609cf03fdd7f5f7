package io.fedbase.data;

import java.util.Arrays;

/** Per-channel mean and standard deviation applied to pixels scaled to [0, 1]. */
public record Normalization(float[] mean, float[] std) {

  /** Fashion-MNIST's training-set statistics. */
  public static final Normalization FASHION_MNIST = new Normalization(new float[] {0.2860f}, new float[] {0.3530f});

  /** CIFAR-10's training-set statistics. */
  public static final Normalization CIFAR10 =
      new Normalization(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});

  public Normalization {
    if (mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("normalisation needs one mean and one std per channel");
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("normalisation std must be positive, got " + Arrays.toString(std));
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** Channel statistics of 8-bit CHW images, computed in double. */
  public static Normalization fromPixels(byte[] pixels, int channels, int imageSize) {
    int plane = imageSize / channels;
    double[] sum = new double[channels];
    double[] sumSq = new double[channels];
    long count = 0;
    for (int start = 0; start + imageSize <= pixels.length; start += imageSize) {
      for (int c = 0; c < channels; c++) {
        int base = start + c * plane;
        for (int i = 0; i < plane; i++) {
          double v = (pixels[base + i] & 0xFF) / 255.0;
          sum[c] += v;
          sumSq[c] += v * v;
        }
      }
      count += plane;
    }
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      double m = count == 0 ? 0 : sum[c] / count;
      double var = count == 0 ? 1 : Math.max(sumSq[c] / count - m * m, 0);
      mean[c] = (float) m;
      std[c] = (float) Math.max(Math.sqrt(var), 1e-3);
    }
    return new Normalization(mean, std);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(mean) * 31 + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "mean " + Arrays.toString(mean) + " std " + Arrays.toString(std);
  }
}
