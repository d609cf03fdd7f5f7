package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

/**
 * Images of one input signature held in memory as 8-bit CHW pixels, with their original class ids
 * and the normalisation applied when they are handed to the network.
 */
public final class ImageDataset {

  private final String source;
  private final InputSignature signature;
  private final byte[] pixels;
  private final int[] labels;
  private final Normalization normalization;
  private final List<String> classNames;
  private final TreeMap<Integer, int[]> byClass;

  /**
   * @param pixels all images back to back, CHW, one byte per value
   * @param classNames names by class id, or empty when the format has none
   */
  public ImageDataset(
      String source, InputSignature signature, byte[] pixels, int[] labels, Normalization normalization, List<String> classNames) {
    if ((long) labels.length * signature.size() != pixels.length) {
      throw new DataException(
          source + ": " + labels.length + " labels but " + (pixels.length / Math.max(1, signature.size())) + " images");
    }
    if (normalization.mean().length != signature.channels()) {
      throw new IllegalArgumentException("normalisation has " + normalization.mean().length + " channels, images have " + signature.channels());
    }
    this.source = source;
    this.signature = signature;
    this.pixels = pixels;
    this.labels = labels;
    this.normalization = normalization;
    this.classNames = List.copyOf(classNames);
    TreeMap<Integer, List<Integer>> lists = new TreeMap<>();
    for (int i = 0; i < labels.length; i++) {
      lists.computeIfAbsent(labels[i], k -> new ArrayList<>()).add(i);
    }
    this.byClass = new TreeMap<>();
    lists.forEach((c, idx) -> byClass.put(c, idx.stream().mapToInt(Integer::intValue).toArray()));
  }

  /** Where the images came from (for messages). */
  public String source() {
    return source;
  }

  public InputSignature signature() {
    return signature;
  }

  public int size() {
    return labels.length;
  }

  public int label(int index) {
    return labels[index];
  }

  /** Sorted distinct class ids. */
  public List<Integer> classes() {
    return Collections.unmodifiableList(new ArrayList<>(byClass.keySet()));
  }

  /** Names by class id, empty if the format has none. */
  public List<String> classNames() {
    return classNames;
  }

  /** Dataset indices of one class, in dataset order. */
  public int[] indicesOf(int classId) {
    int[] idx = byClass.get(classId);
    return idx == null ? new int[0] : idx.clone();
  }

  public int countOf(int classId) {
    int[] idx = byClass.get(classId);
    return idx == null ? 0 : idx.length;
  }

  public Normalization normalization() {
    return normalization;
  }

  /** The same images normalised with {@code other} (a trained model's statistics). */
  public ImageDataset withNormalization(Normalization other) {
    return other.equals(normalization) ? this : new ImageDataset(source, signature, pixels, labels, other, classNames);
  }

  /** Writes image {@code index} as C*H*W normalised floats into {@code dst} at {@code offset}. */
  public void writeNormalized(int index, float[] dst, int offset) {
    int size = signature.size();
    int plane = signature.height() * signature.width();
    int base = index * size;
    for (int c = 0; c < signature.channels(); c++) {
      float mean = normalization.mean()[c];
      float scale = 1f / (255f * normalization.std()[c]);
      float shift = mean / normalization.std()[c];
      int from = base + c * plane;
      int to = offset + c * plane;
      for (int i = 0; i < plane; i++) {
        dst[to + i] = (pixels[from + i] & 0xFF) * scale - shift;
      }
    }
  }

  /** Only the images of the selected classes; every selected class must be present. */
  public ImageDataset select(ClassSelection selection) {
    List<Integer> missing = new ArrayList<>();
    for (int c : selection.classes()) {
      if (!byClass.containsKey(c)) {
        missing.add(c);
      }
    }
    if (!missing.isEmpty()) {
      throw new DataException(source + " has no images of class " + missing + "; it has classes " + classes());
    }
    int size = signature.size();
    int count = 0;
    for (int c : selection.classes()) {
      count += byClass.get(c).length;
    }
    byte[] outPixels = new byte[count * size];
    int[] outLabels = new int[count];
    int n = 0;
    for (int i = 0; i < labels.length; i++) {
      if (selection.contains(labels[i])) {
        System.arraycopy(pixels, i * size, outPixels, n * size, size);
        outLabels[n++] = labels[i];
      }
    }
    return new ImageDataset(source + " classes " + selection, signature, outPixels, outLabels, normalization, classNames);
  }
}
