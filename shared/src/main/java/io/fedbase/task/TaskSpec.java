package io.fedbase.task;

/** The shape of an n-way k-shot task: classes, support images and query images per class. */
public record TaskSpec(int ways, int shots, int queries) {

  public TaskSpec {
    if (ways < 2) {
      throw new IllegalArgumentException("a task needs at least 2 ways, got " + ways);
    }
    if (shots < 1) {
      throw new IllegalArgumentException("a task needs at least 1 shot, got " + shots);
    }
    if (queries < 1) {
      throw new IllegalArgumentException("a task needs at least 1 query image per class, got " + queries);
    }
  }

  /** Images drawn per class (support plus query). */
  public int imagesPerClass() {
    return shots + queries;
  }

  @Override
  public String toString() {
    return ways + "-way " + shots + "-shot (" + queries + " queries per class)";
  }
}
