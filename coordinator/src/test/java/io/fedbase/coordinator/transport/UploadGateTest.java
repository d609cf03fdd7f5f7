package io.fedbase.coordinator.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class UploadGateTest {

  @Test
  void grantsInArrivalOrderAndSkipsWithdrawnWaiters() {
    UploadGate gate = new UploadGate(2);
    List<String> granted = new ArrayList<>();
    gate.acquire(() -> granted.add("a"));
    gate.acquire(() -> granted.add("b"));
    Runnable c = () -> granted.add("c");
    gate.acquire(c);
    gate.acquire(() -> granted.add("d"));
    assertEquals(List.of("a", "b"), granted, "two permits");
    gate.withdraw(c);
    gate.release();
    assertEquals(List.of("a", "b", "d"), granted, "c withdrew, d is next");
    gate.release();
    gate.release();
    gate.acquire(() -> granted.add("e"));
    gate.acquire(() -> granted.add("f"));
    assertEquals(List.of("a", "b", "d", "e", "f"), granted, "released permits are free again");
    assertThrows(IllegalArgumentException.class, () -> new UploadGate(0));
  }
}
