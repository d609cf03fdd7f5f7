package io.fedbase.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** What a client sends can neither break a log line nor grow one without bound. */
class WireTextTest {

  @Test
  void controlCharactersAreEscapedAndLongTextIsCut() {
    assertEquals("node-a", WireText.field("node-a"));
    String forged = WireText.field("a\n2026-12-05 INFO round=9 outcome=committed\r\u0000");
    assertFalse(forged.contains("\n") || forged.contains("\r") || forged.contains("\u0000"), forged);
    assertTrue(forged.startsWith("a\\u000a2026"), forged);
    String huge = WireText.line("x".repeat(1 << 20), WireText.LINE);
    assertTrue(huge.length() < WireText.LINE + 40, "bounded: " + huge.length());
    assertTrue(huge.endsWith("... (1048576 characters)"), huge.substring(huge.length() - 40));
    assertFalse(WireText.field("\u202eevil").contains("\u202e"), "no direction overrides");
    assertEquals("null", WireText.field(null));
  }
}
