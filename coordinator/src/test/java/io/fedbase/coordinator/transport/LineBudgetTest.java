package io.fedbase.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LineBudgetTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void writesTheBudgetThenCountsUntilTheWindowIsOver() {
    LineBudget budget = new LineBudget(3, Duration.ofMinutes(1));
    assertNull(budget.windowEnd(), "no window before the first line");
    for (int i = 0; i < 3; i++) {
      assertEquals(LineBudget.Admission.WRITE, budget.admit(T0.plusSeconds(i)));
    }
    assertEquals(T0.plusSeconds(60), budget.windowEnd(), "the window opened at the first line");
    assertEquals(LineBudget.Admission.SUPPRESS_FIRST, budget.admit(T0.plusSeconds(10)));
    assertEquals(LineBudget.Admission.SUPPRESS, budget.admit(T0.plusSeconds(20)));
    assertEquals(0, budget.endIfOver(T0.plusSeconds(59)), "not over yet");
    assertEquals(LineBudget.Admission.SUPPRESS, budget.admit(T0.plusSeconds(59)));
    assertEquals(3, budget.endIfOver(T0.plusSeconds(60)), "three suppressed");
    assertNull(budget.windowEnd());
    assertEquals(0, budget.endIfOver(T0.plusSeconds(61)), "counted once");
    assertEquals(LineBudget.Admission.WRITE, budget.admit(T0.plusSeconds(300)));
    assertEquals(T0.plusSeconds(360), budget.windowEnd(), "a new window from the next line on");
  }

  @Test
  void aWindowThatSuppressedNothingEndsWithoutASummary() {
    LineBudget budget = new LineBudget(3, Duration.ofMinutes(1));
    budget.admit(T0);
    assertEquals(0, budget.endIfOver(T0.plusSeconds(60)));
    assertNull(budget.windowEnd());
  }
}
