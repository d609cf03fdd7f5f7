package io.fedbase.supernet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.meta.Relaxation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gradients stay right when the garbage collector runs between forward and backward. Before the
 * scalar operands were engine-owned, the backward pass read freed Java buffers here: the loss
 * scale and the temperature came back as whatever had been written over them since.
 */
class ScalarLifetimeTest {

  @Test
  void crossEntropyGradientSurvivesACollectionBeforeBackward() {
    int batch = 6;
    int ways = 4;
    float[] logitValues = new float[batch * ways];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < logitValues.length; i++) {
      logitValues[i] = (float) rng.nextGaussian();
    }
    float[] oneHot = new float[batch * ways];
    for (int i = 0; i < batch; i++) {
      oneHot[i * ways + i % ways] = 1f;
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray logits = manager.create(logitValues, new Shape(batch, ways));
      logits.setRequiresGradient(true);
      try (NDManager scope = manager.newSubManager()) {
        logits.tempAttach(scope);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray loss = Losses.crossEntropy(logits, scope.create(oneHot, new Shape(batch, ways)));
          overwriteFreedJavaBuffers();
          collector.backward(loss);
        }
        assertArrayEquals(expectedCrossEntropyGradient(logitValues, oneHot, batch, ways), logits.getGradient().toFloatArray(), 1e-5f);
      }
    }
  }

  @Test
  void softmaxRelaxationGradientSurvivesACollectionBeforeBackward() {
    float tau = 0.5f;
    float[] alphaValues = {0.2f, -0.4f, 1.0f, 0.0f, 0.3f, -0.1f};
    float[] upstream = {1f, 0f, 0f, 0f, 0f, 1f};
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray alpha = manager.create(alphaValues, new Shape(2, 3));
      alpha.setRequiresGradient(true);
      try (NDManager scope = manager.newSubManager()) {
        alpha.tempAttach(scope);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray weights = RelaxationSampling.sample(Relaxation.SOFTMAX, alpha, tau, new SplittableRandom(1), scope);
          NDArray objective = weights.mul(scope.create(upstream, new Shape(2, 3))).sum();
          overwriteFreedJavaBuffers();
          collector.backward(objective);
        }
        assertArrayEquals(expectedSoftmaxGradient(alphaValues, upstream, tau), alpha.getGradient().toFloatArray(), 1e-5f);
      }
    }
  }

  /** Collects garbage, then fills fresh direct buffers with NaN so freed memory gets reused. */
  private static void overwriteFreedJavaBuffers() {
    for (int round = 0; round < 3; round++) {
      System.gc();
      List<ByteBuffer> filler = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        b.putFloat(0, Float.NaN);
        filler.add(b);
      }
    }
  }

  private static float[] expectedCrossEntropyGradient(float[] logits, float[] oneHot, int batch, int ways) {
    float[] grad = new float[logits.length];
    for (int i = 0; i < batch; i++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < ways; j++) {
        max = Math.max(max, logits[i * ways + j]);
      }
      double z = 0;
      for (int j = 0; j < ways; j++) {
        z += Math.exp(logits[i * ways + j] - max);
      }
      for (int j = 0; j < ways; j++) {
        double p = Math.exp(logits[i * ways + j] - max) / z;
        grad[i * ways + j] = (float) ((p - oneHot[i * ways + j]) / batch);
      }
    }
    return grad;
  }

  private static float[] expectedSoftmaxGradient(float[] alpha, float[] upstream, float tau) {
    int cols = 3;
    float[] grad = new float[alpha.length];
    for (int r = 0; r < alpha.length / cols; r++) {
      double[] p = new double[cols];
      double z = 0;
      for (int c = 0; c < cols; c++) {
        p[c] = Math.exp(alpha[r * cols + c] / tau);
        z += p[c];
      }
      double dot = 0;
      for (int c = 0; c < cols; c++) {
        p[c] /= z;
        dot += p[c] * upstream[r * cols + c];
      }
      for (int c = 0; c < cols; c++) {
        grad[r * cols + c] = (float) (p[c] * (upstream[r * cols + c] - dot) / tau);
      }
    }
    return grad;
  }
}
