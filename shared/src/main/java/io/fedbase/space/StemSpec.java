package io.fedbase.space;

/**
 * The featurisation stem for one input signature: {@code log2(downsample)} stride-2 3x3 conv+BN
 * layers (one stride-1 layer when {@code downsample == 1}), as BASE keeps one head per image size.
 */
public record StemSpec(InputSignature signature, int downsample) {

  public StemSpec {
    if (downsample < 1 || downsample > 32 || Integer.bitCount(downsample) != 1) {
      throw new IllegalArgumentException(
          "stem downsample must be a power of two between 1 and 32, got " + downsample);
    }
  }

  /**
   * The stem a signature gets when a profile does not name it: the largest power of two (at most
   * 8) that keeps at least 14 pixels per side, so 28x28 is halved and 224x224 divided by 8.
   */
  public static StemSpec defaultFor(InputSignature signature) {
    int side = Math.min(signature.height(), signature.width());
    int downsample = 1;
    while (downsample < 8 && side / (downsample * 2) >= 14) {
      downsample *= 2;
    }
    return new StemSpec(signature, downsample);
  }

  /** In the product's words, e.g. "1x28x28 images, 2x downsampled to 14x14 by 1 stride-2 conv layer". */
  public String describe() {
    int h = signature.height() / downsample;
    int w = signature.width() / downsample;
    String layers = layers() + " stride-" + stride() + " conv layer" + (layers() == 1 ? "" : "s");
    return downsample == 1
        ? signature + " images, kept at " + h + "x" + w + " by " + layers
        : signature + " images, " + downsample + "x downsampled to " + h + "x" + w + " by " + layers;
  }

  /** Number of conv layers in the stem. */
  public int layers() {
    return downsample == 1 ? 1 : Integer.numberOfTrailingZeros(downsample);
  }

  /** Stride of every conv layer in the stem. */
  public int stride() {
    return downsample == 1 ? 1 : 2;
  }
}
