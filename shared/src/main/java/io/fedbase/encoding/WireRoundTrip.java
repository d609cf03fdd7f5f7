package io.fedbase.encoding;

import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.DeltaAccumulator;
import java.nio.ByteBuffer;

/**
 * What a delta becomes after travelling in an encoding: lets local meta-training (and its
 * benchmarks) see exactly the rounding a federation's uploads would, without a network.
 */
public final class WireRoundTrip {

  private WireRoundTrip() {}

  /** {@code delta} encoded with {@code seed} and decoded again. */
  public static Bundle of(Bundle delta, DeltaEncoding encoding, long seed) {
    ByteBuffer payload = DeltaEncoder.encode(delta, encoding, seed);
    DeltaDecoder decoder = new DeltaDecoder(encoding, delta.layout());
    float[] values = new float[delta.size()];
    try {
      decoder.decode(payload).asFloatBuffer().get(values);
    } catch (DeltaFormatException e) {
      throw new IllegalStateException("a delta this process encoded did not decode", e);
    }
    return Bundle.of(delta.layout(), values);
  }

  /**
   * {@code rule} with every added delta passed through {@code encoding} first; the n-th delta of
   * an accumulator is rounded with seed {@code seed + n}.
   */
  public static AggregationRule through(DeltaEncoding encoding, AggregationRule rule, long seed) {
    return new AggregationRule() {
      private long added;

      @Override
      public DeltaAccumulator newAccumulator(BundleLayout layout) {
        DeltaAccumulator inner = rule.newAccumulator(layout);
        return new DeltaAccumulator() {
          @Override
          public void add(Bundle delta, double weight) {
            inner.add(encoding == DeltaEncoding.FLOAT32 ? delta : of(delta, encoding, seed + added++), weight);
          }

          @Override
          public int count() {
            return inner.count();
          }

          @Override
          public Bundle result() {
            return inner.result();
          }
        };
      }

      @Override
      public String toString() {
        return rule + " via " + encoding;
      }
    };
  }
}
