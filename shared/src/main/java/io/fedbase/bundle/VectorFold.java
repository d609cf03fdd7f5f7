package io.fedbase.bundle;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link DoubleFold} with the Vector API: floats are loaded half a vector at a time and widened to
 * a full vector of doubles; multiply then add (not a fused multiply-add), so every value rounds
 * exactly as the scalar loop rounds it. Loaded only through {@link DoubleFold#fastest()}.
 */
final class VectorFold implements DoubleFold {

  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;

  /** As many floats as the double vector has lanes: half its width. */
  private static final VectorSpecies<Float> FLOATS = VectorSpecies.of(float.class, VectorShape.forBitSize(DOUBLES.vectorBitSize() / 2));

  @Override
  public void addScaled(double[] sum, int at, float[] values, int from, int n, double weight) {
    int lanes = DOUBLES.length();
    int i = 0;
    for (int bound = DOUBLES.loopBound(n); i < bound; i += lanes) {
      DoubleVector x = (DoubleVector) FloatVector.fromArray(FLOATS, values, from + i).convertShape(VectorOperators.F2D, DOUBLES, 0);
      DoubleVector.fromArray(DOUBLES, sum, at + i).add(x.mul(weight)).intoArray(sum, at + i);
    }
    for (; i < n; i++) {
      sum[at + i] += weight * values[from + i];
    }
  }

  @Override
  public void divideInto(double[] sum, double divisor, float[] out) {
    int lanes = DOUBLES.length();
    int i = 0;
    for (int bound = DOUBLES.loopBound(sum.length); i < bound; i += lanes) {
      ((FloatVector) DoubleVector.fromArray(DOUBLES, sum, i).div(divisor).convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(out, i);
    }
    for (; i < sum.length; i++) {
      out[i] = (float) (sum[i] / divisor);
    }
  }

  @Override
  public double sumOfSquares(float[] values, int from, int n) {
    int lanes = DOUBLES.length();
    DoubleVector squares = DoubleVector.zero(DOUBLES);
    int i = 0;
    for (int bound = DOUBLES.loopBound(n); i < bound; i += lanes) {
      DoubleVector x = (DoubleVector) FloatVector.fromArray(FLOATS, values, from + i).convertShape(VectorOperators.F2D, DOUBLES, 0);
      squares = squares.add(x.mul(x));
    }
    double sum = squares.reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double v = values[from + i];
      sum += v * v;
    }
    return sum;
  }

  @Override
  public String name() {
    return "vector-" + DOUBLES.vectorBitSize();
  }
}
