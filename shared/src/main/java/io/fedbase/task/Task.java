package io.fedbase.task;

import io.fedbase.space.InputSignature;
import java.util.Arrays;

/**
 * One n-way k-shot task: normalised support and query images (CHW each, concatenated), task labels
 * 0..ways-1, and which original class and dataset image stand behind them.
 *
 * @param index the task's index in its sampler
 * @param classIds original class id of each task label ({@code classIds[label]})
 * @param supportIndices dataset index of each support image
 * @param queryIndices dataset index of each query image
 */
public record Task(
    long index,
    InputSignature signature,
    int ways,
    float[] supportImages,
    int[] supportLabels,
    float[] queryImages,
    int[] queryLabels,
    int[] classIds,
    int[] supportIndices,
    int[] queryIndices) {

  public int supportSize() {
    return supportLabels.length;
  }

  public int querySize() {
    return queryLabels.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Task t
        && t.index == index
        && t.signature.equals(signature)
        && t.ways == ways
        && Arrays.equals(t.supportImages, supportImages)
        && Arrays.equals(t.supportLabels, supportLabels)
        && Arrays.equals(t.queryImages, queryImages)
        && Arrays.equals(t.queryLabels, queryLabels)
        && Arrays.equals(t.classIds, classIds)
        && Arrays.equals(t.supportIndices, supportIndices)
        && Arrays.equals(t.queryIndices, queryIndices);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(index) * 31 + Arrays.hashCode(supportIndices) * 17 + Arrays.hashCode(classIds);
  }

  @Override
  public String toString() {
    return "Task#" + index + "(" + ways + "-way, classes " + Arrays.toString(classIds) + ", " + supportSize()
        + " support, " + querySize() + " query)";
  }
}
