package io.fedbase.encoding;

/** An encoded payload that cannot be decoded (a bad int8 scale). */
public final class DeltaFormatException extends Exception {

  public DeltaFormatException(String message) {
    super(message);
  }
}
