package io.fedbase.data;

/** A dataset that cannot be used: missing, unreadable, truncated, inconsistent or too small. */
public final class DataException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
