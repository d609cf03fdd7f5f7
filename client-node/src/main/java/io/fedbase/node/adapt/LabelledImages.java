package io.fedbase.node.adapt;

import io.fedbase.data.ImageDataset;
import io.fedbase.meta.InvalidSettingException;
import io.fedbase.space.InputSignature;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Normalised images with labels 0..k-1 (the dataset's classes in sorted order), ready for the
 * inner loop, and a seeded, per-class stratified split into an adaptation and a held-out part
 * (its classes mixed).
 */
public record LabelledImages(InputSignature signature, List<Integer> classes, float[] images, int[] labels) {

  public int size() {
    return labels.length;
  }

  /** A batch of {@code size} images drawn with replacement. */
  public LabelledImages sample(int size, SplittableRandom rng) {
    int[] idx = new int[size];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = rng.nextInt(labels.length);
    }
    return select(idx);
  }

  /** Images {@code from} (inclusive) to {@code to} (exclusive). */
  public LabelledImages range(int from, int to) {
    int[] idx = new int[to - from];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = from + i;
    }
    return select(idx);
  }

  /** The images at {@code idx}, in that order. */
  public LabelledImages select(int[] idx) {
    int d = signature.size();
    float[] x = new float[idx.length * d];
    int[] y = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(images, idx[i] * d, x, i * d, d);
      y[i] = labels[idx[i]];
    }
    return new LabelledImages(signature, classes, x, y);
  }

  /**
   * Every image of {@code data}, labelled by its class's position in {@code classes} (a model's
   * class list); a class of the data that is not in the list is an error.
   */
  public static LabelledImages of(ImageDataset data, List<Integer> classes) {
    List<Integer> unknown = data.classes().stream().filter(c -> !classes.contains(c)).toList();
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          data.source() + " has class(es) " + unknown + " that the model was not trained on; it knows " + classes + " (select the classes it knows)");
    }
    List<int[]> rows = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      rows.add(new int[] {i, classes.indexOf(data.label(i))});
    }
    return materialise(data, classes, rows);
  }

  /** The two parts of a split. */
  public record Split(LabelledImages adapt, LabelledImages heldOut) {}

  /**
   * Holds out {@code fraction} of each class (at least one image per class, at most {@code
   * maxHeldOut} images overall) and keeps up to {@code maxPerClass} of the rest for adaptation.
   */
  public static Split split(ImageDataset data, double fraction, int maxHeldOut, int maxPerClass, long seed) {
    if (!(fraction > 0 && fraction < 1)) {
      throw new InvalidSettingException("holdout", "must lie strictly between 0 and 1, got " + fraction);
    }
    List<Integer> classes = data.classes();
    if (classes.size() < 2) {
      throw new IllegalArgumentException("training needs at least 2 classes, the data has " + classes);
    }
    SplittableRandom rng = new SplittableRandom(seed);
    List<int[]> adapt = new ArrayList<>();
    List<int[]> held = new ArrayList<>();
    int heldPerClass = Math.max(1, maxHeldOut / classes.size());
    for (int k = 0; k < classes.size(); k++) {
      int[] idx = data.indicesOf(classes.get(k));
      if (idx.length < 2) {
        throw new IllegalArgumentException("class " + classes.get(k) + " has " + idx.length + " image(s); at least 2 per class are needed to hold one out");
      }
      shuffle(idx, rng);
      int h = Math.min(heldPerClass, Math.max(1, (int) Math.round(idx.length * fraction)));
      h = Math.min(h, idx.length - 1);
      for (int i = 0; i < idx.length; i++) {
        if (i < h) {
          held.add(new int[] {idx[i], k});
        } else if (i - h < maxPerClass) {
          adapt.add(new int[] {idx[i], k});
        }
      }
    }
    // the held-out images are scored in chunks whose batch statistics normalise BN: a chunk of one
    // or two classes would be normalised by those classes alone, so the classes are mixed
    Collections.shuffle(held, new Random(rng.nextLong()));
    return new Split(materialise(data, classes, adapt), materialise(data, classes, held));
  }

  private static LabelledImages materialise(ImageDataset data, List<Integer> classes, List<int[]> rows) {
    int d = data.signature().size();
    float[] x = new float[rows.size() * d];
    int[] y = new int[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      data.writeNormalized(rows.get(i)[0], x, i * d);
      y[i] = rows.get(i)[1];
    }
    return new LabelledImages(data.signature(), classes, x, y);
  }

  private static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
