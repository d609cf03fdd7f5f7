package io.fedbase.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.engine.EngineWork;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import io.fedbase.space.InputSignature;
import io.fedbase.space.TensorNames;
import io.fedbase.space.TensorSpec;
import io.fedbase.supernet.EdgeWeights;
import io.fedbase.supernet.GradMode;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.RelaxationSampling;
import io.fedbase.supernet.Supernet;
import java.util.SplittableRandom;

/**
 * One posterior adaptation in progress: a private copy phi of W with fresh Adam state, stepped on
 * one task's data. Everything it allocates lives in its own manager and is freed on close; each
 * step runs in a sub-scope, so memory stays flat however many steps are taken.
 *
 * <p>Must be used from one thread, and only one session may step at a time per JVM: DJL allows a
 * single gradient collector per process.
 */
public final class AdaptationSession implements AutoCloseable {

  private final Supernet supernet;
  private final InnerLoopConfig config;
  private final NDManager manager;
  private final ParameterSet params;
  private final AdamOptimizer weightOptimizer;
  private final AdamOptimizer logitOptimizer;
  private final SplittableRandom rng;
  private final float tau;
  private int stepsTaken;

  AdaptationSession(
      Supernet supernet, InnerLoopConfig config, NDManager parent, Bundle start, InputSignature signature, float tau, long seed) {
    this.supernet = supernet;
    this.config = config;
    this.tau = tau;
    this.rng = new SplittableRandom(seed);
    this.manager = parent.newSubManager();
    String ownStem = TensorNames.stemPrefix(signature);
    if (supernet.spec().stemFor(signature).isEmpty()) {
      manager.close();
      throw new IllegalArgumentException(
          "the supernet has no stem for input " + signature + "; it has " + supernet.spec().stems());
    }
    this.params =
        ParameterSet.load(
            start,
            manager,
            (TensorSpec t) -> {
              if (t.logits()) {
                return config.adaptLogits();
              }
              // only this input's stem takes part in the forward pass
              boolean stem = t.name().startsWith("stem.");
              return !stem || t.name().startsWith(ownStem);
            });
    this.weightOptimizer = new AdamOptimizer(manager, config.weightLr(), config.beta1(), config.beta2(), 0f);
    this.logitOptimizer =
        new AdamOptimizer(manager, config.logitLr(), config.beta1(), config.beta2(), config.logitWeightDecay());
  }

  /** Temperature used by this session for sampling and evaluation. */
  public float tau() {
    return tau;
  }

  /** Steps taken so far. */
  public int stepsTaken() {
    return stepsTaken;
  }

  /**
   * One inner step on a minibatch of the support set: sample edge weights, forward, cross-entropy,
   * backward, Adam on weights and logits. Returns the loss and accuracy on that minibatch before the
   * update.
   */
  public Evaluation step(float[] images, int[] labels, InputSignature signature, int ways) {
    return EngineWork.step(() -> takeStep(images, labels, signature, ways));
  }

  private Evaluation takeStep(float[] images, int[] labels, InputSignature signature, int ways) {
    int n = labels.length;
    int[] batch = chooseBatch(n);
    float[] x = gather(images, signature.size(), batch);
    int[] y = new int[batch.length];
    for (int i = 0; i < batch.length; i++) {
      y[i] = labels[batch[i]];
    }
    try (NDManager scope = manager.newSubManager()) {
      params.tempAttachTo(scope);
      NDArray input = scope.create(x, new Shape(batch.length, signature.channels(), signature.height(), signature.width()));
      NDArray targets = scope.create(Losses.oneHot(y, ways), new Shape(batch.length, ways));
      NDArray logits;
      NDArray loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        // the edge weights must be computed while recording, or the logits get no gradient
        EdgeWeights mixing = edgeWeights(config.relaxation(), scope);
        logits = supernet.forward(params, input, mixing, scope);
        loss = Losses.crossEntropy(logits, targets);
        collector.backward(loss);
      }
      Evaluation before = new Evaluation(loss.getFloat(), accuracy(logits, y), batch.length);
      for (String name : params.trainable()) {
        NDArray weight = params.get(name);
        try (NDArray grad = weight.getGradient()) {
          (isLogits(name) ? logitOptimizer : weightOptimizer).update(name, weight, grad);
        }
      }
      stepsTaken++;
      return before;
    }
  }

  /**
   * Loss and accuracy on a labelled batch with the deterministic edge weights softmax(alpha / tau),
   * the posterior mean read-out; BN normalises with this batch's statistics.
   */
  public Evaluation evaluate(float[] images, int[] labels, InputSignature signature, int ways) {
    return EngineWork.run(() -> evaluateNow(images, labels, signature, ways));
  }

  private Evaluation evaluateNow(float[] images, int[] labels, InputSignature signature, int ways) {
    int n = labels.length;
    try (NDManager scope = manager.newSubManager();
        GradMode ignored = GradMode.disabled()) {
      params.tempAttachTo(scope);
      NDArray input = scope.create(images, new Shape(n, signature.channels(), signature.height(), signature.width()));
      NDArray targets = scope.create(Losses.oneHot(labels, ways), new Shape(n, ways));
      EdgeWeights mixing = edgeWeights(Relaxation.SOFTMAX, scope);
      NDArray logits = supernet.forward(params, input, mixing, scope);
      NDArray loss = Losses.crossEntropy(logits, targets);
      return new Evaluation(loss.getFloat(), accuracy(logits, labels), n);
    }
  }

  private EdgeWeights edgeWeights(Relaxation relaxation, NDManager scope) {
    return new EdgeWeights(
        RelaxationSampling.sample(relaxation, params.get(TensorNames.alpha(CellType.NORMAL)), tau, rng, scope),
        RelaxationSampling.sample(relaxation, params.get(TensorNames.alpha(CellType.REDUCE)), tau, rng, scope));
  }

  /** The current phi as a bundle. */
  public Bundle parameters() {
    return params.toBundle();
  }

  private boolean isLogits(String name) {
    return name.startsWith("alpha.");
  }

  private int[] chooseBatch(int n) {
    int size = config.batchSize() == 0 ? n : config.batchSize();
    int[] idx = new int[size];
    if (config.batchSize() == 0) {
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
    } else {
      for (int i = 0; i < size; i++) {
        idx[i] = rng.nextInt(n);
      }
    }
    return idx;
  }

  private static float[] gather(float[] images, int imageSize, int[] idx) {
    float[] out = new float[idx.length * imageSize];
    for (int i = 0; i < idx.length; i++) {
      System.arraycopy(images, idx[i] * imageSize, out, i * imageSize, imageSize);
    }
    return out;
  }

  private static double accuracy(NDArray logits, int[] labels) {
    long[] predicted = logits.argMax(1).toLongArray();
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      if (predicted[i] == labels[i]) {
        correct++;
      }
    }
    return labels.length == 0 ? 0 : (double) correct / labels.length;
  }

  @Override
  public void close() {
    manager.close();
  }
}
