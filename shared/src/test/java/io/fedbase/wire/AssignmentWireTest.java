package io.fedbase.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.privacy.PrivacyTerms;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.task.TaskSpec;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The coordinator and the node read one assignment type through one mapping: it survives the wire whole. */
class AssignmentWireTest {

  private static Assignment assignment(Optional<SecureTerms> secure, Optional<PrivacyTerms> privacy) {
    InnerLoopConfig inner =
        InnerLoopConfig.builder()
            .optSteps(7)
            .optLearningRates(0.01f, 0.02f)
            .optLogitWeightDecay(0.003f)
            .optBetas(0f, 0.99f)
            .optBatchSize(16)
            .optRelaxation(Relaxation.fromKey("softmax"))
            .optAdaptLogits(false)
            .optLogitBetaDecay(0.25f)
            .build();
    return new Assignment(
        12, 11, Instant.ofEpochMilli(1_790_000_000_123L), 3, new TaskSpec(5, 4, 6), inner, 0.45f, 99, List.of("a", "b", "c"), 66, secure, privacy);
  }

  @Test
  void aPlainAssignmentRoundTripsAndCarriesNoTerms() throws Exception {
    Assignment a = assignment(Optional.empty(), Optional.empty());
    RoundAssignment wire = RoundAssignment.parseFrom(AssignmentWire.toWire(a).toByteArray());
    assertFalse(wire.hasSecureAggregation(), "presence of the secure settings marks a secure round");
    assertFalse(wire.hasPrivacy());
    assertEquals(a, AssignmentWire.fromWire(wire));
  }

  @Test
  void anAssignmentWithoutBetaDecayHasItOffAndANegativeOneIsRefused() throws Exception {
    RoundAssignment wire = AssignmentWire.toWire(assignment(Optional.empty(), Optional.empty()));
    // what a coordinator from before the field sends
    RoundAssignment old = wire.toBuilder().setInnerLoop(wire.getInnerLoop().toBuilder().clearLogitBetaDecay()).build();
    assertEquals(0f, AssignmentWire.fromWire(old).inner().logitBetaDecay());
    RoundAssignment negative = wire.toBuilder().setInnerLoop(wire.getInnerLoop().toBuilder().setLogitBetaDecay(-1f)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AssignmentWire.fromWire(negative));
    assertTrue(e.getMessage().contains("logitBetaDecay"), e.getMessage());
  }

  @Test
  void secureAndPrivateTermsRoundTrip() throws Exception {
    Assignment a = assignment(Optional.of(new SecureTerms(2, 4f)), Optional.of(new PrivacyTerms(1.5f, 0.25f, 0.75)));
    RoundAssignment wire = RoundAssignment.parseFrom(AssignmentWire.toWire(a).toByteArray());
    assertTrue(wire.hasSecureAggregation() && wire.hasPrivacy());
    assertEquals(a, AssignmentWire.fromWire(wire));
  }
}
