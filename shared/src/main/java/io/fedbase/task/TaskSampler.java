package io.fedbase.task;

import io.fedbase.data.DataException;
import io.fedbase.data.ImageDataset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws n-way k-shot tasks from a dataset. Task i depends only on (seed, i): any two processes, in
 * any order, see the same task i. Labels are a fresh random bijection per task, so a shared
 * classifier cannot memorise class identities.
 */
public final class TaskSampler {

  private final ImageDataset data;
  private final TaskSpec spec;
  private final long seed;
  private final int[] eligibleClasses;

  public TaskSampler(ImageDataset data, TaskSpec spec, long seed) {
    this.data = data;
    this.spec = spec;
    this.seed = seed;
    List<Integer> eligible = new ArrayList<>();
    for (int c : data.classes()) {
      if (data.countOf(c) >= spec.imagesPerClass()) {
        eligible.add(c);
      }
    }
    if (eligible.size() < spec.ways()) {
      throw new DataException(
          "dataset " + data.source() + " has only " + eligible.size() + " classes with at least "
              + spec.imagesPerClass() + " images " + eligible + "; a " + spec + " task needs " + spec.ways());
    }
    this.eligibleClasses = eligible.stream().mapToInt(Integer::intValue).toArray();
  }

  public TaskSpec spec() {
    return spec;
  }

  public ImageDataset data() {
    return data;
  }

  /** Task number {@code index}. */
  public Task task(long index) {
    SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, index));
    int ways = spec.ways();
    int[] classes = partialShuffle(eligibleClasses.clone(), ways, rng);
    // classIds[label] = class: a random bijection between chosen classes and task labels
    int[] classIds = new int[ways];
    System.arraycopy(classes, 0, classIds, 0, ways);
    int imageSize = data.signature().size();
    int supportCount = ways * spec.shots();
    int queryCount = ways * spec.queries();
    int[] supportIdx = new int[supportCount];
    int[] supportLabels = new int[supportCount];
    int[] queryIdx = new int[queryCount];
    int[] queryLabels = new int[queryCount];
    for (int label = 0; label < ways; label++) {
      int[] pool = data.indicesOf(classIds[label]).clone();
      partialShuffle(pool, spec.imagesPerClass(), rng);
      for (int s = 0; s < spec.shots(); s++) {
        supportIdx[label * spec.shots() + s] = pool[s];
        supportLabels[label * spec.shots() + s] = label;
      }
      for (int q = 0; q < spec.queries(); q++) {
        queryIdx[label * spec.queries() + q] = pool[spec.shots() + q];
        queryLabels[label * spec.queries() + q] = label;
      }
    }
    shuffleTogether(supportIdx, supportLabels, rng);
    shuffleTogether(queryIdx, queryLabels, rng);
    float[] support = new float[supportCount * imageSize];
    for (int i = 0; i < supportCount; i++) {
      data.writeNormalized(supportIdx[i], support, i * imageSize);
    }
    float[] query = new float[queryCount * imageSize];
    for (int i = 0; i < queryCount; i++) {
      data.writeNormalized(queryIdx[i], query, i * imageSize);
    }
    return new Task(index, data.signature(), ways, support, supportLabels, query, queryLabels, classIds, supportIdx, queryIdx);
  }

  /** Moves a uniform random choice of {@code k} elements to the front (Fisher-Yates prefix). */
  private static int[] partialShuffle(int[] a, int k, SplittableRandom rng) {
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(a.length - i);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  private static void shuffleTogether(int[] a, int[] b, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
      t = b[i];
      b[i] = b[j];
      b[j] = t;
    }
  }
}
