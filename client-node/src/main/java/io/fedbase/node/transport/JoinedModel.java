package io.fedbase.node.transport;

import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.space.SupernetSpec;
import java.util.Set;

/**
 * What Join returns: the model to train, the coordinator's newest prior version, its policy and the
 * upload encodings it accepts (float32 alone for coordinators that do not say).
 */
public record JoinedModel(
    SupernetSpec spec, long priorVersion, int minNodes, int quorum, int deadlineSeconds, Set<DeltaEncoding> acceptedEncodings) {

  public JoinedModel {
    acceptedEncodings = acceptedEncodings.isEmpty() ? Set.of(DeltaEncoding.FLOAT32) : Set.copyOf(acceptedEncodings);
  }

  /** {@code preferred} if the coordinator accepts it, else float32, which every coordinator does. */
  public DeltaEncoding uploadEncoding(DeltaEncoding preferred) {
    return acceptedEncodings.contains(preferred) ? preferred : DeltaEncoding.FLOAT32;
  }
}
