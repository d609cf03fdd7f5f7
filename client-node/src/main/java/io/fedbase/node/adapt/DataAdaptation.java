package io.fedbase.node.adapt;

import io.fedbase.bundle.Bundle;
import io.fedbase.learn.AdaptationSession;
import io.fedbase.learn.Evaluation;
import io.fedbase.learn.InnerLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The posterior adaptation of a prior to a whole dataset (not one task): many Adam steps on
 * minibatches drawn from the adaptation split, with the held-out split evaluated along the way.
 */
public final class DataAdaptation {

  /** Progress after each step. */
  public interface Listener {
    void step(CurvePoint point, int totalSteps);
  }

  /** The adapted parameters and the curve. */
  public record Result(Bundle adapted, List<CurvePoint> curve) {
    public CurvePoint last() {
      return curve.get(curve.size() - 1);
    }
  }

  private static final int EVAL_CHUNK = 250;

  private final InnerLoop loop;

  /** @param loop an inner loop whose config has batch size 0: batches are drawn here */
  public DataAdaptation(InnerLoop loop) {
    if (loop.config().batchSize() != 0) {
      throw new IllegalArgumentException("DataAdaptation draws its own batches; use an inner loop with batch size 0");
    }
    this.loop = loop;
  }

  public Result run(Bundle start, LabelledImages.Split data, int steps, int batch, int evalEvery, float tau, long seed, Listener listener) {
    if (steps < 1 || batch < 1 || evalEvery < 1) {
      throw new IllegalArgumentException("adaptation steps, batch size and evaluation interval must each be at least 1");
    }
    int ways = data.adapt().classes().size();
    SplittableRandom rng = new SplittableRandom(seed);
    List<CurvePoint> curve = new ArrayList<>();
    try (AdaptationSession session = loop.open(start, data.adapt().signature(), tau, seed)) {
      Evaluation initial = evaluate(session, data.heldOut(), ways);
      curve.add(new CurvePoint(0, Double.NaN, initial.loss(), initial.accuracy()));
      for (int s = 1; s <= steps; s++) {
        LabelledImages b = data.adapt().sample(batch, rng);
        Evaluation train = session.step(b.images(), b.labels(), b.signature(), ways);
        CurvePoint point;
        if (s % evalEvery == 0 || s == steps) {
          Evaluation held = evaluate(session, data.heldOut(), ways);
          point = new CurvePoint(s, train.loss(), held.loss(), held.accuracy());
        } else {
          point = new CurvePoint(s, train.loss(), Double.NaN, Double.NaN);
        }
        curve.add(point);
        listener.step(point, steps);
      }
      return new Result(session.parameters(), List.copyOf(curve));
    }
  }

  /** Held-out loss and accuracy in chunks, weighted by chunk size (BN uses each chunk's statistics). */
  private static Evaluation evaluate(AdaptationSession session, LabelledImages heldOut, int ways) {
    double loss = 0;
    double correct = 0;
    for (int from = 0; from < heldOut.size(); from += EVAL_CHUNK) {
      LabelledImages chunk = heldOut.range(from, Math.min(heldOut.size(), from + EVAL_CHUNK));
      Evaluation e = session.evaluate(chunk.images(), chunk.labels(), chunk.signature(), ways);
      loss += e.loss() * chunk.size();
      correct += e.accuracy() * chunk.size();
    }
    return new Evaluation(loss / heldOut.size(), correct / heldOut.size(), heldOut.size());
  }
}
