package io.fedbase.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ScheduleTest {

  @Test
  void cosineAnnealsFromStartToEnd() {
    Schedule s = Schedule.cosine(0.1, 0.001);
    assertEquals(0.1, s.at(0, 100), 1e-12);
    assertEquals(0.0505, s.at(50, 100), 1e-12);
    assertEquals(0.001, s.at(100, 100), 1e-12);
    assertEquals(0.001 + 0.5 * 0.099 * (1 + Math.cos(Math.PI / 4)), s.at(25, 100), 1e-12);
  }

  @Test
  void linearAndConstantParse() {
    assertEquals(0.6, Schedule.parse("0.6").at(7, 10), 1e-12);
    assertEquals(0.55, Schedule.parse("1.0:0.1").at(5, 11), 1e-12);
  }
}
