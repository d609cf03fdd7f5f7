package io.fedbase.coordinator.round;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.secagg.SecureStep;
import io.fedbase.wire.Assignment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Joined nodes and their streams: one stream per node, the newest wins, a stale one cannot drop it. */
class MembershipTest {

  private final List<String> ended = new ArrayList<>();

  private RoundWatcher stream(String name) {
    return new RoundWatcher() {
      @Override
      public void assigned(Assignment assignment) {}

      @Override
      public void secureStep(SecureStep step) {}

      @Override
      public void keepAlive(long round, RoundPhase phase, long priorVersion) {}

      @Override
      public void finished() {
        ended.add(name + " finished");
      }

      @Override
      public void shuttingDown() {
        ended.add(name + " shutting down");
      }

      @Override
      public void removed(String message) {}
    };
  }

  @Test
  void aReconnectReplacesTheStreamAndTheOldOneCannotDisconnectIt() {
    Membership m = new Membership();
    assertThrows(IllegalStateException.class, () -> m.connect("a", stream("a1")), "connecting needs a join first");
    assertTrue(m.join("a"));
    assertFalse(m.join("a"), "joining twice is the same membership");
    RoundWatcher first = stream("a1");
    RoundWatcher second = stream("a2");
    m.connect("a", first);
    m.connect("a", second);
    assertFalse(m.disconnect("a", first), "the replaced stream's end leaves the node connected");
    assertTrue(m.isConnected("a"));
    assertEquals(List.of("a"), m.connected());
    m.endAll(RoundWatcher::finished);
    assertEquals(List.of("a2 finished"), ended);
    assertEquals(0, m.connectedCount());
    assertEquals(1, m.joinedCount(), "ending the streams does not end the membership");
    assertTrue(m.remove("a").isEmpty());
    assertFalse(m.hasJoined("a"));
    assertThrows(IllegalArgumentException.class, () -> Membership.requireValidNodeId("-rf\n"));
  }
}
