package io.fedbase.coordinator.aggregate;

import java.nio.file.Path;

/**
 * An accepted upload kept on disk until it is aggregated, with the clip scales to apply to its
 * weight and logit parts as it is read back.
 */
record KeptUpload(Path file, float weightScale, float logitScale) {

  /** The scale for a tensor run: the logit scale for logit tensors, the weight scale otherwise. */
  float scale(boolean logits) {
    return logits ? logitScale : weightScale;
  }
}
