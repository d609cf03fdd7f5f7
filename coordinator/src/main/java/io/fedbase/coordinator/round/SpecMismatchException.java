package io.fedbase.coordinator.round;

/** A node expects another model than the one the federation trains. */
public final class SpecMismatchException extends IllegalStateException {

  public SpecMismatchException(String message) {
    super(message);
  }
}
