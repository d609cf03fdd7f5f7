package io.fedbase.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.engine.DeviceTransfers;
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
import io.fedbase.supernet.Supernet;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;

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
  private final InnerUpdate update;
  private final float tau;
  private int stepsTaken;
  private TaskOnDevice support;
  private final StepDraws.Supply draws;
  private final List<NDArray> pendingLosses = new ArrayList<>();
  private final List<NDArray> pendingCorrect = new ArrayList<>();
  private final List<Integer> pendingSizes = new ArrayList<>();

  AdaptationSession(
      Supernet supernet, InnerLoopConfig config, NDManager parent, Bundle start, InputSignature signature, float tau, long seed) {
    this.supernet = supernet;
    this.config = config;
    this.tau = tau;
    this.manager = parent.newSubManager();
    try {
      this.params = ParameterSet.load(start, manager, adapted(supernet, config, signature));
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    this.update = new InnerUpdate(config, manager);
    this.draws =
        new StepDraws.Supply(
            config,
            params.get(TensorNames.alpha(CellType.NORMAL)).getShape(),
            params.get(TensorNames.alpha(CellType.REDUCE)).getShape(),
            List.of(new SplittableRandom(seed)),
            manager);
  }

  /**
   * The tensors an adaptation to inputs of {@code signature} trains: the logits unless frozen, and
   * every weight but the other inputs' stems, which take no part in the forward pass.
   *
   * @throws IllegalArgumentException if the supernet has no stem for {@code signature}
   */
  static Predicate<TensorSpec> adapted(Supernet supernet, InnerLoopConfig config, InputSignature signature) {
    if (supernet.spec().stemFor(signature).isEmpty()) {
      throw new IllegalArgumentException(
          "the supernet has no stem for input " + signature + "; it has " + supernet.spec().stems());
    }
    String ownStem = TensorNames.stemPrefix(signature);
    return t -> t.logits() ? config.adaptLogits() : !t.name().startsWith("stem.") || t.name().startsWith(ownStem);
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
   * One inner step on a minibatch of the support set, and its loss and accuracy on that minibatch
   * before the update, read back at once. {@link #advance} and {@link #readBack} do the same
   * without a copy to the host per step.
   */
  public Evaluation step(float[] images, int[] labels, InputSignature signature, int ways) {
    advance(images, labels, signature, ways);
    List<Evaluation> done = readBack();
    return done.get(done.size() - 1);
  }

  /**
   * One inner step on a minibatch of the support set: sample edge weights, forward, cross-entropy,
   * backward, Adam on weights and logits. Nothing moves between host and device: the support set
   * goes to the device with the first step that uses it, the random draws a chunk of steps at a
   * time, and the loss stays there until {@link #readBack}.
   */
  public void advance(float[] images, int[] labels, InputSignature signature, int ways) {
    EngineWork.step(
        () -> {
          takeStep(images, labels, signature, ways);
          return null;
        });
  }

  /** The loss and accuracy of every step advanced since the last read, oldest first, in one copy. */
  public List<Evaluation> readBack() {
    if (pendingLosses.isEmpty()) {
      return List.of();
    }
    return EngineWork.run(
        () -> {
          try (NDManager scope = manager.newSubManager()) {
            NDList all = new NDList(pendingLosses.size() * 2);
            all.addAll(pendingLosses);
            all.addAll(pendingCorrect);
            // the scope takes them over and frees them when it closes
            all.forEach(a -> a.attach(scope));
            float[] values = DeviceTransfers.toHost(NDArrays.stack(all));
            int n = pendingLosses.size();
            List<Evaluation> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
              int size = pendingSizes.get(i);
              out.add(new Evaluation(values[i], (double) values[n + i] / size, size));
            }
            pendingLosses.clear();
            pendingCorrect.clear();
            pendingSizes.clear();
            return out;
          }
        });
  }

  private void takeStep(float[] images, int[] labels, InputSignature signature, int ways) {
    TaskOnDevice data = onDevice(images, labels, signature, ways);
    StepDraws.Step draw = draws.next(labels.length);
    try (NDManager scope = manager.newSubManager()) {
      params.tempAttachTo(scope);
      data.tempAttachTo(scope);
      draw.attachTo(scope);
      NDArray input = draw.batch() == null ? data.images() : data.images().get(new NDIndex("{}", draw.batch()));
      NDArray targets = draw.batch() == null ? data.oneHot() : data.oneHot().get(new NDIndex("{}", draw.batch()));
      NDArray ids = draw.batch() == null ? data.labels() : data.labels().get(new NDIndex("{}", draw.batch()));
      NDArray logits;
      NDArray loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        // the edge weights must be computed while recording, or the logits get no gradient
        EdgeWeights mixing = EdgeWeights.sample(config.relaxation(), params, tau, draw.normalNoise(), draw.reduceNoise(), scope);
        logits = supernet.forward(params, input, mixing, scope);
        loss = Losses.crossEntropy(logits, targets);
        collector.backward(loss);
      }
      keepForReadBack(loss.stopGradient(), Losses.correct(logits, ids), (int) input.getShape().get(0));
      update.apply(params);
      stepsTaken++;
    }
  }

  /** Moves a step's loss and correct count out of its scope, to be read with the others. */
  private void keepForReadBack(NDArray loss, NDArray correct, int examples) {
    loss.attach(manager);
    correct.attach(manager);
    pendingLosses.add(loss);
    pendingCorrect.add(correct);
    pendingSizes.add(examples);
  }

  /** The support set on the device: uploaded when a step first uses these arrays, kept for the next. */
  private TaskOnDevice onDevice(float[] images, int[] labels, InputSignature signature, int ways) {
    if (support == null || !support.holds(images, labels)) {
      if (support != null) {
        support.close();
      }
      support = TaskOnDevice.upload(manager, images, labels, signature, ways);
    }
    return support;
  }

  /**
   * Loss and accuracy on a labelled batch with the deterministic edge weights softmax(alpha / tau),
   * the posterior mean read-out; BN normalises with this batch's statistics. One copy each way.
   */
  public Evaluation evaluate(float[] images, int[] labels, InputSignature signature, int ways) {
    return EngineWork.run(() -> evaluateNow(images, labels, signature, ways));
  }

  private Evaluation evaluateNow(float[] images, int[] labels, InputSignature signature, int ways) {
    int n = labels.length;
    try (NDManager scope = manager.newSubManager();
        GradMode ignored = GradMode.disabled();
        TaskOnDevice data = TaskOnDevice.upload(scope, images, labels, signature, ways)) {
      params.tempAttachTo(scope);
      EdgeWeights mixing = EdgeWeights.sample(Relaxation.SOFTMAX, params, tau, null, null, scope);
      NDArray logits = supernet.forward(params, data.images(), mixing, scope);
      NDArray loss = Losses.crossEntropy(logits, data.oneHot());
      float[] values = DeviceTransfers.toHost(NDArrays.stack(new NDList(loss, Losses.correct(logits, data.labels()))));
      return new Evaluation(values[0], n == 0 ? 0 : (double) values[1] / n, n);
    }
  }

  /** The current phi as a bundle. */
  public Bundle parameters() {
    return params.toBundle();
  }

  @Override
  public void close() {
    // the support set, draws and unread losses live in the session's manager
    manager.close();
  }
}
