package io.fedbase.node.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.EngineWork;
import io.fedbase.node.adapt.LabelledImages;
import io.fedbase.supernet.DerivedNetwork;
import io.fedbase.supernet.ForwardRegime;
import io.fedbase.supernet.GradMode;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.RunningStatistics;

/** A network's predicted class per image and its mean cross-entropy, computed with running statistics. */
public record Predictions(int[] predicted, int[] labels, double meanLoss) {

  private static final int CHUNK = 256;

  /** Scores a saved model on {@code data}; its arrays live in a scope under {@code parent} for the call. */
  public static Predictions of(DerivedModel model, LabelledImages data, NDManager parent) {
    try (NDManager scope = parent.newSubManager()) {
      return of(
          new DerivedNetwork(model.spec()),
          ParameterSet.load(model.weights(), scope, t -> false),
          RunningStatistics.load(model.statistics(), scope),
          data,
          scope);
    }
  }

  /** Runs inference over {@code data} in chunks, each in its own scope under {@code parent}. */
  public static Predictions of(DerivedNetwork net, ParameterSet params, RunningStatistics statistics, LabelledImages data, NDManager parent) {
    int ways = data.classes().size();
    int[] predicted = new int[data.size()];
    double lossSum = 0;
    ForwardRegime inference = ForwardRegime.inference(statistics);
    try (GradMode ignored = GradMode.disabled()) {
      for (int from = 0; from < data.size(); from += CHUNK) {
        LabelledImages chunk = data.range(from, Math.min(data.size(), from + CHUNK));
        int offset = from;
        lossSum +=
            EngineWork.run(
                () -> {
                  try (NDManager scope = parent.newSubManager()) {
                    params.tempAttachTo(scope);
                    var sig = chunk.signature();
                    NDArray images = scope.create(chunk.images(), new Shape(chunk.size(), sig.channels(), sig.height(), sig.width()));
                    NDArray logits = net.forward(params, images, inference, scope);
                    NDArray targets = scope.create(Losses.oneHot(chunk.labels(), ways), new Shape(chunk.size(), ways));
                    double chunkLoss = Losses.crossEntropy(logits, targets).getFloat() * (double) chunk.size();
                    long[] argMax = logits.argMax(1).toLongArray();
                    for (int i = 0; i < argMax.length; i++) {
                      predicted[offset + i] = (int) argMax[i];
                    }
                    return chunkLoss;
                  }
                });
      }
    }
    return new Predictions(predicted, data.labels().clone(), data.size() == 0 ? Double.NaN : lossSum / data.size());
  }

  /** Share of images whose predicted class is their label. */
  public double accuracy() {
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      correct += predicted[i] == labels[i] ? 1 : 0;
    }
    return labels.length == 0 ? Double.NaN : (double) correct / labels.length;
  }

  /** confusion[true][predicted] counts over {@code ways} classes. */
  public int[][] confusion(int ways) {
    int[][] m = new int[ways][ways];
    for (int i = 0; i < labels.length; i++) {
      m[labels[i]][predicted[i]]++;
    }
    return m;
  }

  /** Accuracy on each class's images (NaN for a class without images). */
  public double[] perClassAccuracy(int ways) {
    int[][] m = confusion(ways);
    double[] out = new double[ways];
    for (int k = 0; k < ways; k++) {
      int total = java.util.Arrays.stream(m[k]).sum();
      out[k] = total == 0 ? Double.NaN : (double) m[k][k] / total;
    }
    return out;
  }
}
