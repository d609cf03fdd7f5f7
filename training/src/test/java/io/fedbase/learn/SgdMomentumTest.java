package io.fedbase.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SgdMomentumTest {

  @Test
  void followsTheMomentumRecurrenceWithTheLearningRateInsideTheBuffer() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {1f, 2f});
      SgdMomentum sgd = new SgdMomentum(m, 0.9f, 0f);
      sgd.update("w", w, m.create(new float[] {1f, -1f}), 0.1f, 1f);
      assertArrayEquals(new float[] {0.9f, 2.1f}, w.toFloatArray(), 1e-6f);
      // v = 0.9 v - lr g; w += v: v = -0.09 - 0.05 = -0.14
      sgd.update("w", w, m.create(new float[] {1f, -1f}), 0.05f, 1f);
      assertArrayEquals(new float[] {0.76f, 2.24f}, w.toFloatArray(), 1e-6f);
    }
  }

  @Test
  void appliesWeightDecayAndTheGradientScale() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray w = m.create(new float[] {1f});
      new SgdMomentum(m, 0f, 0.1f).update("w", w, m.create(new float[] {1f}), 0.1f, 0.5f);
      assertArrayEquals(new float[] {1f - 0.1f * (0.5f + 0.1f)}, w.toFloatArray(), 1e-6f);
    }
  }

  @Test
  void resumesFromExportedBuffersExactly() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray straight = m.create(new float[] {1f, -3f});
      NDArray resumed = m.create(new float[] {1f, -3f});
      SgdMomentum a = new SgdMomentum(m, 0.9f, 3e-4f);
      SgdMomentum first = new SgdMomentum(m, 0.9f, 3e-4f);
      for (int i = 0; i < 3; i++) {
        a.update("w", straight, m.create(new float[] {0.5f * i, 1f}), 0.1f, 1f);
        first.update("w", resumed, m.create(new float[] {0.5f * i, 1f}), 0.1f, 1f);
      }
      SgdMomentum second = new SgdMomentum(m, 0.9f, 3e-4f);
      second.restoreBuffers(first.exportBuffers(), Map.of("w", new Shape(2)));
      for (int i = 3; i < 6; i++) {
        a.update("w", straight, m.create(new float[] {0.5f * i, 1f}), 0.1f, 1f);
        second.update("w", resumed, m.create(new float[] {0.5f * i, 1f}), 0.1f, 1f);
      }
      assertArrayEquals(straight.toFloatArray(), resumed.toFloatArray(), 0f);
      assertThrows(IllegalArgumentException.class, () -> second.restoreBuffers(Map.of("w", new float[3]), Map.of("w", new Shape(2))));
    }
  }
}
