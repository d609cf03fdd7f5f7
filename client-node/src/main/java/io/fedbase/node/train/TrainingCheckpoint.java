package io.fedbase.node.train;

import java.util.List;
import java.util.Map;

/**
 * Everything needed to continue training after epoch {@code epochsDone}: the model so far, the
 * momentum buffers, the history, and the fingerprint of the settings it was made with.
 */
public record TrainingCheckpoint(
    DerivedModel model, Map<String, float[]> momentum, int epochsDone, List<EpochRecord> history, String fingerprint) {

  public TrainingCheckpoint {
    momentum = Map.copyOf(momentum);
    history = List.copyOf(history);
  }
}
