package io.fedbase.coordinator.aggregate;

import java.util.Locale;

/**
 * Bounds on the L2 norm of an upload's weight part and of its logit part, and what happens beyond
 * them: the part is scaled down to the bound (clip), or the upload is refused. One outlying node can
 * then move the prior by at most its bound divided by the number of merged uploads.
 */
public record NormBound(double maxWeightNorm, double maxLogitNorm, Action action) {

  /** What to do with an upload whose norm exceeds a bound. */
  public enum Action {
    CLIP,
    REFUSE;

    public static Action fromKey(String key) {
      try {
        return valueOf(key.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--norm-action must be clip or refuse, got '" + key + "'");
      }
    }
  }

  public NormBound {
    if (!(maxWeightNorm > 0) || !(maxLogitNorm > 0)) {
      throw new IllegalArgumentException("norm bounds must be positive, got " + maxWeightNorm + " and " + maxLogitNorm);
    }
  }

  /** No bound. */
  public static NormBound none() {
    return new NormBound(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, Action.REFUSE);
  }

  /** Refuses {@code update} if it exceeds a bound under {@link Action#REFUSE}. */
  public void check(StagedUpdate update) throws UpdateRejectedException {
    if (action != Action.REFUSE) {
      return;
    }
    if (update.weightNorm() > maxWeightNorm) {
      throw new UpdateRejectedException(
          UpdateRejectedException.Reason.NORM_TOO_LARGE,
          String.format(Locale.ROOT, "the weight part's L2 norm %.4g exceeds the bound %.4g", update.weightNorm(), maxWeightNorm));
    }
    if (update.logitNorm() > maxLogitNorm) {
      throw new UpdateRejectedException(
          UpdateRejectedException.Reason.NORM_TOO_LARGE,
          String.format(Locale.ROOT, "the logit part's L2 norm %.4g exceeds the bound %.4g", update.logitNorm(), maxLogitNorm));
    }
  }

  /** Factor the weight part is merged with: 1 within the bound, bound/norm when clipping. */
  public float weightScale(double norm) {
    return scale(norm, maxWeightNorm);
  }

  /** Factor the logit part is merged with. */
  public float logitScale(double norm) {
    return scale(norm, maxLogitNorm);
  }

  private float scale(double norm, double bound) {
    return action == Action.CLIP && norm > bound ? (float) (bound / norm) : 1f;
  }
}
