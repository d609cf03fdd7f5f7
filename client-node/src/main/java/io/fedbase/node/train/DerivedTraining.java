package io.fedbase.node.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.data.Cutout;
import io.fedbase.engine.EngineWork;
import io.fedbase.learn.SgdMomentum;
import io.fedbase.meta.Schedule;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.space.InputSignature;
import io.fedbase.supernet.DerivedNetwork;
import io.fedbase.supernet.DerivedNetworkSpec;
import io.fedbase.supernet.ForwardRegime;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.RunningStatistics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains a derived network from scratch (or from a checkpoint) on a training split, scoring a
 * held-out split with running statistics after every epoch. Each epoch's batch order, cutout and
 * drop-path masks come from a generator seeded by (seed, epoch), so a resumed run takes exactly the
 * steps an uninterrupted one would have.
 *
 * <p>Uses a gradient collector, so only one training may run per JVM at a time.
 */
public final class DerivedTraining {

  /** Progress callbacks; {@link #epochEnd} is where the caller saves the checkpoint. */
  public interface Listener {
    void step(int epoch, int step, int stepsPerEpoch, double meanLoss);

    void epochEnd(EpochRecord record, TrainingCheckpoint checkpoint) throws IOException;
  }

  /** The trained model and every epoch's record. */
  public record Result(DerivedModel model, List<EpochRecord> history) {}

  private final DerivedNetworkSpec spec;
  private final ModelLabels labels;
  private final TrainingConfig config;
  private final String fingerprint;

  /**
   * @param settings further settings a resumed run must share (architecture, data), folded into
   *     the checkpoint's fingerprint with the config's
   */
  public DerivedTraining(DerivedNetworkSpec spec, ModelLabels labels, TrainingConfig config, String settings) {
    this.spec = spec;
    this.labels = labels;
    this.config = config;
    this.fingerprint = config.fingerprint() + " network=" + spec.hash() + " " + settings;
  }

  /** What a checkpoint must carry to be resumed by this training. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Steps per epoch on a training split of {@code size} images (the partial last batch is dropped). */
  public int stepsPerEpoch(int size) {
    return Math.max(1, size / config.batch());
  }

  /**
   * Trains to {@code config.epochs()}; {@code resume} (nullable) continues a run whose checkpoint
   * has this training's fingerprint.
   */
  public Result run(LabelledImages.Split data, TrainingCheckpoint resume, NDManager parent, Listener listener) throws IOException {
    if (resume != null && !resume.fingerprint().equals(fingerprint)) {
      throw new IllegalArgumentException(
          "the checkpoint was made with other settings; resume with the same genotype, data and options, or start a new --out"
              + "\n  checkpoint: " + resume.fingerprint() + "\n  now:        " + fingerprint);
    }
    LabelledImages train = data.adapt();
    if (train.size() < 2) {
      throw new IllegalArgumentException("the training split has " + train.size() + " image(s); at least 2 are needed");
    }
    DerivedNetwork net = new DerivedNetwork(spec);
    int batch = Math.min(config.batch(), train.size());
    int stepsPerEpoch = stepsPerEpoch(train.size());
    int totalSteps = config.epochs() * stepsPerEpoch;
    Schedule lr = Schedule.cosine(config.learningRate(), config.minLearningRate());
    Cutout cutout = new Cutout(config.cutout());
    InputSignature sig = train.signature();
    int ways = labels.classes().size();
    try (NDManager owner = parent.newSubManager()) {
      Bundle startWeights = resume == null ? net.initialize(config.seed()) : resume.model().weights();
      ParameterSet params = ParameterSet.load(startWeights, owner, t -> true);
      RunningStatistics stats =
          resume == null ? RunningStatistics.empty(owner) : RunningStatistics.load(resume.model().statistics(), owner);
      SgdMomentum sgd = new SgdMomentum(owner, config.momentum(), config.weightDecay());
      List<EpochRecord> history = new ArrayList<>();
      int firstEpoch = 1;
      if (resume != null) {
        Map<String, Shape> shapes = new HashMap<>();
        params.trainable().forEach(n -> shapes.put(n, params.get(n).getShape()));
        sgd.restoreBuffers(resume.momentum(), shapes);
        history.addAll(resume.history());
        firstEpoch = resume.epochsDone() + 1;
      }
      for (int epoch = firstEpoch; epoch <= config.epochs(); epoch++) {
        long started = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(config.seed() * 1_000_003L + epoch);
        int[] order = permutation(train.size(), rng);
        float dropPath = config.dropPathAt(epoch);
        double lossSum = 0;
        int correct = 0;
        int seen = 0;
        double rate = 0;
        for (int s = 0; s < stepsPerEpoch; s++) {
          LabelledImages b = train.select(java.util.Arrays.copyOfRange(order, s * batch, (s + 1) * batch));
          float[] x = b.images();
          cutout.apply(x, sig, rng);
          int globalStep = (epoch - 1) * stepsPerEpoch + s;
          rate = lr.at(globalStep, totalSteps); // the epoch record keeps its last step's rate
          ForwardRegime regime = ForwardRegime.trainingStep(stats, dropPath, rng.nextLong(), globalStep);
          float stepRate = (float) rate;
          float[] stepResult = EngineWork.step(() -> step(net, params, stats, sgd, x, b.labels(), sig, ways, regime, stepRate, owner));
          if (!Double.isFinite(stepResult[0])) {
            throw new IllegalStateException(
                "training diverged at epoch " + epoch + ", step " + (s + 1) + " (loss " + stepResult[0] + "); lower --lr or raise --grad-clip");
          }
          lossSum += stepResult[0] * b.size();
          correct += (int) stepResult[1];
          seen += b.size();
          listener.step(epoch, s + 1, stepsPerEpoch, lossSum / seen);
        }
        Predictions held = Predictions.of(net, params, stats, data.heldOut(), owner);
        EpochRecord record =
            new EpochRecord(epoch, lossSum / seen, (double) correct / seen, held.meanLoss(), held.accuracy(), rate, (System.nanoTime() - started) / 1e9);
        history.add(record);
        DerivedModel model = new DerivedModel(spec, params.toBundle(), stats.toBundle(), labels);
        listener.epochEnd(record, new TrainingCheckpoint(model, sgd.exportBuffers(), epoch, history, fingerprint));
      }
      return new Result(new DerivedModel(spec, params.toBundle(), stats.toBundle(), labels), List.copyOf(history));
    }
  }

  /** One SGD step; returns {loss, correct predictions} on the batch before the update. */
  private float[] step(
      DerivedNetwork net, ParameterSet params, RunningStatistics stats, SgdMomentum sgd, float[] x, int[] y, InputSignature sig, int ways,
      ForwardRegime regime, float rate, NDManager owner) {
    try (NDManager scope = owner.newSubManager()) {
      params.tempAttachTo(scope);
      NDArray images = scope.create(x, new Shape(y.length, sig.channels(), sig.height(), sig.width()));
      NDArray targets = scope.create(Losses.oneHot(y, ways), new Shape(y.length, ways));
      NDArray logits;
      NDArray loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        logits = net.forward(params, images, regime, scope);
        loss = Losses.crossEntropy(logits, targets);
        collector.backward(loss);
      }
      long[] predicted = logits.argMax(1).toLongArray();
      int correct = 0;
      for (int i = 0; i < y.length; i++) {
        correct += predicted[i] == y[i] ? 1 : 0;
      }
      List<String> names = params.trainable();
      NDArray[] grads = new NDArray[names.size()];
      NDArray squares = null;
      for (int i = 0; i < grads.length; i++) {
        grads[i] = params.get(names.get(i)).getGradient();
        NDArray sq = grads[i].square().sum();
        squares = squares == null ? sq : squares.add(sq);
      }
      float norm = (float) Math.sqrt(squares.getFloat());
      float scale = config.gradClip() > 0 && norm > config.gradClip() ? config.gradClip() / norm : 1f;
      for (int i = 0; i < grads.length; i++) {
        sgd.update(names.get(i), params.get(names.get(i)), grads[i], rate, scale);
        grads[i].close();
      }
      return new float[] {loss.getFloat(), correct};
    }
  }

  private static int[] permutation(int n, SplittableRandom rng) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}
