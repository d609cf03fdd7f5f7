package io.fedbase.node.train;

import io.fedbase.meta.InvalidSettingException;
import java.util.Locale;

/**
 * How a derived network is trained: DARTS' recipe (SGD with momentum, cosine-annealed learning
 * rate, weight decay, gradient clipping by global norm, drop-path rising linearly over the epochs,
 * optional cutout), sized by the caller.
 *
 * @param epochs passes over the training split
 * @param batch images per step; the last partial batch of an epoch is dropped (BN needs a batch)
 * @param learningRate rate at the first step
 * @param minLearningRate rate the cosine reaches after the last step
 * @param gradClip maximum global gradient norm; 0 disables clipping
 * @param dropPath drop-path probability reached at the last epoch (0 disables)
 * @param cutout side of the cutout square in pixels (0 disables)
 * @param seed seed of the initial weights, batch order, drop-path masks and cutout
 */
public record TrainingConfig(
    int epochs,
    int batch,
    float learningRate,
    float minLearningRate,
    float momentum,
    float weightDecay,
    float gradClip,
    float dropPath,
    int cutout,
    long seed) {

  public TrainingConfig {
    require(epochs >= 1, "training.epochs", "must be at least 1, got " + epochs);
    require(batch >= 2, "training.batch", "must be at least 2 (BatchNorm needs a batch), got " + batch);
    require(learningRate > 0 && Float.isFinite(learningRate), "training.learningRate", "must be positive, got " + learningRate);
    require(minLearningRate >= 0 && minLearningRate <= learningRate, "training.minLearningRate", "must lie in [0, the learning rate], got " + minLearningRate);
    require(momentum >= 0 && momentum < 1, "training.momentum", "must lie in [0, 1), got " + momentum);
    require(weightDecay >= 0, "training.weightDecay", "must not be negative, got " + weightDecay);
    require(gradClip >= 0, "training.gradClip", "must not be negative, got " + gradClip);
    require(dropPath >= 0 && dropPath < 1, "training.dropPath", "must lie in [0, 1), got " + dropPath);
    require(cutout >= 0, "training.cutout", "must not be negative, got " + cutout);
  }

  private static void require(boolean ok, String setting, String problem) {
    if (!ok) {
      throw new InvalidSettingException(setting, problem);
    }
  }

  /** Drop-path probability during epoch {@code epoch} (1-based): DARTS' drop_path_prob * epoch / epochs, 0-based epoch. */
  public float dropPathAt(int epoch) {
    return dropPath * (epoch - 1) / epochs;
  }

  /** Everything that must match for a checkpoint to be resumed, as one line. */
  public String fingerprint() {
    return String.format(
        Locale.ROOT,
        "epochs=%d batch=%d lr=%s min_lr=%s momentum=%s weight_decay=%s grad_clip=%s drop_path=%s cutout=%d seed=%d",
        epochs, batch, learningRate, minLearningRate, momentum, weightDecay, gradClip, dropPath, cutout, seed);
  }
}
