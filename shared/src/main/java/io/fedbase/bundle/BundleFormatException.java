package io.fedbase.bundle;

import java.io.IOException;

/** A bundle file that is truncated, corrupt, of another format or of another model. */
public final class BundleFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public BundleFormatException(String message) {
    super(message);
  }

  public BundleFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
