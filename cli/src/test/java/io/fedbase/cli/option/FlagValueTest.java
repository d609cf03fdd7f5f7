package io.fedbase.cli.option;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FlagValueTest {

  @Test
  void aShortValueIsShownWholeALongOneCutAtSixteenCharacters() {
    assertEquals("auto", FlagValue.shown("auto"));
    assertEquals("0123456789abcdef", FlagValue.shown("0123456789abcdef"));
    assertEquals("0123456789abcdef...", FlagValue.shown("0123456789abcdefg" + "x".repeat(10_000)));
  }
}
