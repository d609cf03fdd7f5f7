package io.fedbase.space;

/**
 * The canonical tensor names of the supernet. The layout (which tensors exist) and the forward pass
 * (which tensors it reads) both build names here, so the two cannot drift apart.
 */
public final class TensorNames {

  public static final String CLASSIFIER_WEIGHT = "classifier.weight";
  public static final String CLASSIFIER_BIAS = "classifier.bias";

  private TensorNames() {}

  /** Architecture logits of one cell type, {@code alpha.normal} or {@code alpha.reduce}. */
  public static String alpha(CellType type) {
    return "alpha." + type.key();
  }

  /** True for the architecture logits of either cell type. */
  public static boolean isLogits(String name) {
    return name.startsWith("alpha.");
  }

  /** Weight of conv layer {@code layer} of the stem for {@code signature}. */
  public static String stemConv(InputSignature signature, int layer) {
    return "stem." + signature + ".conv" + layer + ".weight";
  }

  /** Affine BN scale ({@code gamma}) or shift ({@code beta}) of stem layer {@code layer}. */
  public static String stemBn(InputSignature signature, int layer, String part) {
    return "stem." + signature + ".bn" + layer + "." + part;
  }

  /** A preprocessing conv of cell input {@code input} (0 or 1); {@code conv} or {@code conv1/2}. */
  public static String preprocess(int cell, int input, String conv) {
    return "cell" + cell + ".pre" + input + "." + conv + ".weight";
  }

  /** A weight of operation {@code op} on edge {@code edge} of cell {@code cell}. */
  public static String edge(int cell, int edge, Operation op, String part) {
    return "cell" + cell + ".edge" + edge + "." + op.dartsName() + "." + part + ".weight";
  }

  /** Prefix shared by every tensor of one stem, to tell stems apart from the rest. */
  public static String stemPrefix(InputSignature signature) {
    return "stem." + signature + ".";
  }
}
