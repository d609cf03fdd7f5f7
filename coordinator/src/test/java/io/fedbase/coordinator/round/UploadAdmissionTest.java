package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.AggregationMethod;
import io.fedbase.coordinator.aggregate.PlainProtocol;
import io.fedbase.coordinator.aggregate.UpdateHeaderFields;
import io.fedbase.coordinator.aggregate.UpdateRejectedException.Reason;
import io.fedbase.coordinator.aggregate.UpdateRejectedException;
import io.fedbase.encoding.DeltaEncoding;
import io.fedbase.wire.Assignment;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Admission as a function of the header and the facts: each refusal in its place, no state needed beyond them. */
class UploadAdmissionTest {

  private static final Instant OPENED = Instant.parse("2026-01-01T00:00:00Z");
  private static final String SPEC = RoundEngineFixture.LAYOUT.specHash();

  private final OpenRound round = openRound();

  private static OpenRound openRound() {
    RoundSetup setup = new RoundSetup(RoundEngineFixture.settings(2), 4, 3, 1.0, OPENED.plus(Duration.ofMinutes(1)), List.of("a", "b"));
    Map<String, Assignment> assignments = setup.assignments(Optional.empty(), Optional.empty());
    PlainProtocol protocol =
        new PlainProtocol(RoundEngineFixture.LAYOUT, Set.of(DeltaEncoding.FLOAT32), setup.participants(), AggregationMethod.weightedMean().open(RoundEngineFixture.LAYOUT));
    return new OpenRound(4, 3, setup.deadline(), assignments, protocol, protocol.aggregator(), OPENED);
  }

  private UploadAdmission.Facts facts(boolean removed, boolean joined, RoundPhase phase, Instant now) {
    return new UploadAdmission.Facts(removed, joined, 4, phase, round, now, SPEC, "round 4 is collecting");
  }

  private UploadAdmission.Facts collecting() {
    return facts(false, true, RoundPhase.COLLECTING, OPENED.plusSeconds(10));
  }

  private static UpdateHeaderFields header(String node, long round, long version, String spec, int tasks) {
    long bytes = DeltaEncoding.FLOAT32.payloadBytes(RoundEngineFixture.LAYOUT);
    return new UpdateHeaderFields(round, node, version, tasks, spec, Optional.of(DeltaEncoding.FLOAT32), bytes, 1, 0.5, 0.5);
  }

  private static Reason refusal(UpdateHeaderFields header, UploadAdmission.Facts facts) {
    return assertThrows(UpdateRejectedException.class, () -> UploadAdmission.check(header, facts)).reason();
  }

  @Test
  void eachRefusalComesFromItsFact() throws Exception {
    UpdateHeaderFields good = header("a", 4, 3, SPEC, 2);
    assertEquals(Optional.empty(), UploadAdmission.check(good, collecting()), "a new upload may start");
    assertEquals(Reason.REMOVED, refusal(good, facts(true, true, RoundPhase.COLLECTING, OPENED)));
    assertEquals(Reason.UNKNOWN_NODE, refusal(good, facts(false, false, RoundPhase.COLLECTING, OPENED)));
    assertEquals(Reason.WRONG_ROUND, refusal(header("a", 5, 3, SPEC, 2), collecting()));
    assertEquals(Reason.LATE, refusal(header("a", 3, 3, SPEC, 2), collecting()));
    assertEquals(Reason.LATE, refusal(good, facts(false, true, RoundPhase.COMMITTING, OPENED)), "collection has ended");
    assertEquals(Reason.NOT_SELECTED, refusal(header("c", 4, 3, SPEC, 2), collecting()));
    assertEquals(Reason.LATE, refusal(good, facts(false, true, RoundPhase.COLLECTING, round.deadline)), "at the deadline, not only after it");
    assertEquals(Reason.STALE_VERSION, refusal(header("a", 4, 2, SPEC, 2), collecting()));
    assertEquals(Reason.WRONG_SHAPE, refusal(header("a", 4, 3, "0".repeat(64), 2), collecting()));
    assertEquals(Reason.WRONG_SHAPE, refusal(header("a", 4, 3, SPEC, 3), collecting()), "more tasks than assigned (the protocol's check)");
    round.inProgress.put("a", reason -> {});
    assertEquals(Reason.IN_PROGRESS, refusal(good, collecting()));
  }

  @Test
  void anAcceptedUploadIsAnsweredWithItsReceiptAgainWhateverTheRestSays() throws Exception {
    round.accepted.put("b", new Receipt(4, false, 1, 100));
    Optional<Receipt> again = UploadAdmission.check(header("b", 4, 3, SPEC, 2), facts(false, true, RoundPhase.COLLECTING, round.deadline.plusSeconds(5)));
    assertTrue(again.orElseThrow().duplicate());
    assertEquals(1, again.get().acceptedInRound());
  }
}
