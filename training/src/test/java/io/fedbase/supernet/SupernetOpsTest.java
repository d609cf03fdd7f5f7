package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.space.Operation;
import io.fedbase.space.OperationWeights;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SupernetOpsTest {

  private NDManager manager;
  private ForwardScope scope;

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
    scope = new ForwardScope(manager);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private NDArray random(long... shape) {
    SplittableRandom rng = new SplittableRandom(7);
    int n = (int) new Shape(shape).size();
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (rng.nextDouble() * 2 - 1);
    }
    return manager.create(v, new Shape(shape));
  }

  private Map<String, NDArray> weightsFor(Operation op, int channels, int stride) {
    Map<String, NDArray> w = new HashMap<>();
    for (OperationWeights.Part part : OperationWeights.parts(op, channels, stride)) {
      long[] shape = new long[part.shape().length];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = part.shape()[i];
      }
      w.put(part.name(), random(shape).mul(0.3f));
    }
    return w;
  }

  @ParameterizedTest
  @EnumSource(Operation.class)
  void everyOperationKeepsChannelsAndHalvesSizeWhenStrided(Operation op) {
    for (int size : new int[] {14, 7, 5}) {
      NDArray x = random(2, 8, size, size);
      Map<String, NDArray> w1 = weightsFor(op, 8, 1);
      NDArray y1 = EdgeOperation.apply(scope, op, x, 1, w1::get);
      assertEquals(new Shape(2, 8, size, size), y1.getShape(), op + " stride 1 on " + size);
      Map<String, NDArray> w2 = weightsFor(op, 8, 2);
      NDArray y2 = EdgeOperation.apply(scope, op, x, 2, w2::get);
      long half = (size + 1) / 2;
      assertEquals(new Shape(2, 8, half, half), y2.getShape(), op + " stride 2 on " + size);
    }
  }

  @Test
  void averagePoolDoesNotCountPadding() {
    NDArray ones = manager.ones(new Shape(1, 1, 4, 4));
    float[] pooled = SupernetOps.avgPool(scope, ones, 1).toFloatArray();
    for (float v : pooled) {
      assertEquals(1f, v, 1e-6f, "corners and edges must average only real pixels");
    }
  }

  @Test
  void averagePoolOfStridedOddInputAveragesRealPixelsOnly() {
    float[] v = new float[25];
    for (int i = 0; i < 25; i++) {
      v[i] = i;
    }
    NDArray x = manager.create(v, new Shape(1, 1, 5, 5));
    float[] pooled = SupernetOps.avgPool(scope, x, 2).toFloatArray();
    // top-left window covers pixels 0, 1, 5, 6 only
    assertEquals((0 + 1 + 5 + 6) / 4f, pooled[0], 1e-5f);
    // centre window (row 1, col 1 of the 3x3 output) covers rows 1..3, cols 1..3: mean is pixel 12
    assertEquals(12f, pooled[4], 1e-5f);
  }

  @Test
  void maxPoolPadsWithMinusInfinity() {
    NDArray negative = manager.full(new Shape(1, 1, 3, 3), -5f);
    for (float v : SupernetOps.maxPool(negative, 1).toFloatArray()) {
      assertEquals(-5f, v, 0f, "zero padding would have won the max");
    }
  }

  @Test
  void zeroOperationSubsamplesBeforeZeroing() {
    NDArray x = random(2, 4, 7, 7);
    NDArray y = SupernetOps.zero(x, 2);
    assertEquals(new Shape(2, 4, 4, 4), y.getShape());
    for (float v : y.toFloatArray()) {
      assertEquals(0f, v, 0f);
    }
    assertEquals(new Shape(2, 4, 7, 7), SupernetOps.zero(x, 1).getShape());
  }

  @Test
  void factorizedReduceShiftsOnEvenSizesOnly() {
    // Input with one hot pixel at (0, 0): the unshifted conv sees it, the shifted one must not.
    float[] v = new float[1 * 2 * 4 * 4];
    v[0] = 1f;
    NDArray x = manager.create(v, new Shape(1, 2, 4, 4));
    NDArray w1 = manager.ones(new Shape(1, 2, 1, 1));
    NDArray w2 = manager.ones(new Shape(1, 2, 1, 1));
    NDArray a = SupernetOps.conv(x, w1, 2, 0, 1, 1);
    NDArray shifted = x.get(new ai.djl.ndarray.index.NDIndex(":, :, 1:, 1:"));
    NDArray b = SupernetOps.conv(shifted, w2, 2, 0, 1, 1);
    assertEquals(1f, a.toFloatArray()[0], 0f);
    assertEquals(0f, b.toFloatArray()[0], 0f);
    // The op itself on odd and even sizes: output is ceil(H/2) with both halves of channels.
    for (int size : new int[] {7, 8}) {
      NDArray in = random(2, 6, size, size);
      NDArray out = SupernetOps.factorizedReduce(scope, in, random(3, 6, 1, 1), random(3, 6, 1, 1));
      assertEquals(new Shape(2, 6, (size + 1) / 2, (size + 1) / 2), out.getShape());
    }
  }

  @Test
  void cellBatchNormUsesBatchStatisticsWithoutAffine() {
    NDArray x = random(4, 3, 5, 5).mul(3f).add(2f);
    NDArray y = SupernetOps.batchNorm(scope, x, null, null);
    NDArray perChannel = y.transpose(1, 0, 2, 3).reshape(3, -1);
    NDArray mean = perChannel.mean(new int[] {1});
    NDArray var = perChannel.sub(mean.reshape(3, 1)).square().mean(new int[] {1});
    assertArrayEquals(new float[] {0, 0, 0}, mean.toFloatArray(), 1e-5f);
    assertArrayEquals(new float[] {1, 1, 1}, var.toFloatArray(), 1e-3f);
  }

  @Test
  void separableConvAppliesTwoBlocksWithStrideOnFirst() {
    NDArray x = random(2, 4, 8, 8);
    Map<String, NDArray> w = weightsFor(Operation.SEP_CONV_5X5, 4, 2);
    NDArray y = EdgeOperation.apply(scope, Operation.SEP_CONV_5X5, x, 2, w::get);
    assertEquals(new Shape(2, 4, 4, 4), y.getShape());
    // ends in a BN without affine: zero mean per channel
    assertTrue(Math.abs(y.mean().getFloat()) < 1e-4);
  }
}
