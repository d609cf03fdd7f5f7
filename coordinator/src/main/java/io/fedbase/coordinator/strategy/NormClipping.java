package io.fedbase.coordinator.strategy;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.aggregate.StagedUpdate;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.coordinator.round.RoundStrategy.UploadScales;

/** The operator's norm bound applied to one upload: refused, or the factors that clip it. */
final class NormClipping {

  private NormClipping() {}

  static UploadScales scales(NormBound bound, StagedUpdate upload) throws UpdateRejectedException {
    bound.check(upload);
    return new UploadScales(bound.weightScale(upload.weightNorm()), bound.logitScale(upload.logitNorm()));
  }
}
