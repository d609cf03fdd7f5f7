package io.fedbase.bundle;

/**
 * A running weighted sum of deltas: memory stays one bundle however many are added, which is what
 * lets the coordinator aggregate a round without holding every node's upload.
 */
public final class WeightedSum implements DeltaAccumulator {

  private final BundleLayout layout;
  private final double[] sum;
  private double totalWeight;
  private int count;

  public WeightedSum(BundleLayout layout) {
    this.layout = layout;
    this.sum = new double[layout.totalSize()];
  }

  /** Adds {@code weight * delta}. */
  @Override
  public void add(Bundle delta, double weight) {
    layout.requireSame(delta.layout());
    if (!(weight > 0) || !Double.isFinite(weight)) {
      throw new IllegalArgumentException("weight must be positive and finite, got " + weight);
    }
    float[] v = delta.raw();
    for (int i = 0; i < sum.length; i++) {
      sum[i] += weight * v[i];
    }
    totalWeight += weight;
    count++;
  }

  /** Number of deltas added. */
  @Override
  public int count() {
    return count;
  }

  /** Sum of the weights added. */
  public double totalWeight() {
    return totalWeight;
  }

  /** The weighted mean of what was added. */
  @Override
  public Bundle result() {
    if (count == 0) {
      throw new IllegalStateException("no delta was added");
    }
    float[] out = new float[sum.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (sum[i] / totalWeight);
    }
    return Bundle.wrap(layout, out);
  }
}
