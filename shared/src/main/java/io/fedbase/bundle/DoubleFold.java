package io.fedbase.bundle;

/**
 * The inner loop of every weighted mean: adds scaled float32 values into a double sum. HotSpot 17
 * does not vectorize the float-to-double widening in a plain loop, so that loop runs at about a
 * third of the speed of the same loop in float (BENCHMARKS §5); {@link #fastest()} uses the JDK's
 * Vector API when the JVM was started with {@code --add-modules jdk.incubator.vector}, and the
 * plain loop otherwise. Both give bit-for-bit the same weighted sums and means: each value is
 * widened, multiplied and added with the same two roundings, in the same order.
 */
public interface DoubleFold {

  /**
   * {@code sum[at + i] += weight * values[from + i]} for {@code i} in {@code [0, n)}, rounded as
   * that Java expression is.
   */
  void addScaled(double[] sum, int at, float[] values, int from, int n, double weight);

  /** {@code out[i] = (float) (sum[i] / divisor)} for every {@code i} of {@code sum}, rounded as that Java expression is. */
  void divideInto(double[] sum, double divisor, float[] out);

  /**
   * The sum of {@code values[from + i]²} over {@code [0, n)}, each widened to double: non-finite
   * exactly when a value is (a float's square cannot overflow a double's range, nor can a few
   * billion of them). The vector fold adds lane by lane, so its last bits may differ from the
   * scalar loop's.
   */
  double sumOfSquares(float[] values, int from, int n);

  /** A short name for logs and benchmark output. */
  String name();

  /** The plain loop. */
  static DoubleFold scalar() {
    return ScalarFold.INSTANCE;
  }

  /**
   * The vectorized fold if the JVM can run it (the incubator module was added at start-up and
   * loads), else {@link #scalar()}.
   */
  static DoubleFold fastest() {
    return FastestFold.INSTANCE;
  }

  /** The vectorized fold, or empty if this JVM was started without the incubator module. */
  static java.util.Optional<DoubleFold> vector() {
    return java.util.Optional.ofNullable(FastestFold.VECTOR);
  }
}

/** The plain loop, which C2 compiles to scalar conversions. */
final class ScalarFold implements DoubleFold {

  static final ScalarFold INSTANCE = new ScalarFold();

  @Override
  public void addScaled(double[] sum, int at, float[] values, int from, int n, double weight) {
    for (int i = 0; i < n; i++) {
      sum[at + i] += weight * values[from + i];
    }
  }

  @Override
  public void divideInto(double[] sum, double divisor, float[] out) {
    for (int i = 0; i < sum.length; i++) {
      out[i] = (float) (sum[i] / divisor);
    }
  }

  @Override
  public double sumOfSquares(float[] values, int from, int n) {
    double squares = 0;
    for (int i = 0; i < n; i++) {
      double v = values[from + i];
      squares += v * v;
    }
    return squares;
  }

  @Override
  public String name() {
    return "scalar";
  }
}

/** Probes once whether the Vector API is there; the probe is a property of the JVM, not of a sum. */
final class FastestFold {

  static final DoubleFold VECTOR = loadVector();
  static final DoubleFold INSTANCE = VECTOR != null ? VECTOR : ScalarFold.INSTANCE;

  private FastestFold() {}

  private static DoubleFold loadVector() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return null;
    }
    try {
      // by name: the class links against the incubator module, which may be absent
      return (DoubleFold) Class.forName("io.fedbase.bundle.VectorFold").getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }
}
