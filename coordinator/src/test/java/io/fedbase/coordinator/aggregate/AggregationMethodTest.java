package io.fedbase.coordinator.aggregate;

import static io.fedbase.coordinator.aggregate.StagedUploads.LAYOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AggregationMethodTest {

  @Test
  void parsesEachMethodAndPrintsItBack() {
    assertInstanceOf(RoundAggregate.class, AggregationMethod.parse("mean").open(LAYOUT));
    assertEquals(AggregationMethod.weightedMean(), AggregationMethod.parse(" Mean "));

    AggregationMethod median = AggregationMethod.parse("median");
    assertEquals(new AggregationMethod.Robust(new CoordinateMedian(), AggregationMethod.DEFAULT_MEMORY_BYTES), median);
    assertInstanceOf(SpillingAggregate.class, median.open(LAYOUT));

    AggregationMethod trimmed = AggregationMethod.parse("trimmed-mean:0.1");
    assertEquals(new AggregationMethod.Robust(new TrimmedMean(0.1), AggregationMethod.DEFAULT_MEMORY_BYTES), trimmed);

    for (String text : new String[] {"mean", "median", "trimmed-mean:0.1", "trimmed-mean:0.0"}) {
      assertEquals(text, AggregationMethod.parse(text).toString());
    }
  }

  @Test
  void theMemoryBoundCanBeSet() {
    AggregationMethod.Robust median = ((AggregationMethod.Robust) AggregationMethod.parse("median")).withMemoryBytes(1 << 20);
    assertEquals(1 << 20, median.memoryBytes());
    assertThrows(IllegalArgumentException.class, () -> median.withMemoryBytes(0));
  }

  @Test
  void refusesWhatItCannotReadWithAClearMessage() {
    assertMessage("trimmed-mean needs the fraction", "trimmed-mean");
    assertMessage("must be in [0, 0.5), got 0.5", "trimmed-mean:0.5");
    assertMessage("must be in [0, 0.5), got -0.1", "trimmed-mean:-0.1");
    assertMessage("must be a number in [0, 0.5), got 'a tenth'", "trimmed-mean:a tenth");
    assertMessage("must be mean, median or trimmed-mean:<fraction>, got 'krum'", "krum");
    assertMessage("got ''", "");
    assertMessage("got 'null'", null);
  }

  private static void assertMessage(String part, String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AggregationMethod.parse(text));
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }

  @Test
  void trimsTheFloorOfBetaKFromEachEnd() {
    assertEquals(2, new TrimmedMean(0.3).trimmed(7));
    assertEquals(0, new TrimmedMean(0.3).trimmed(3));
    assertEquals(29, new TrimmedMean(0.29).trimmed(100), "0.29 · 100 is 28.999999999999996 in double");
    assertEquals(0, new TrimmedMean(0).trimmed(100));
  }
}
