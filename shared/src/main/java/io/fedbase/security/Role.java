package io.fedbase.security;

import java.util.Locale;

/**
 * What a certificate's holder may do, written into its subject's OU: nodes join and submit as
 * themselves, readers fetch priors and status, operators also call admin methods, and the
 * coordinator serves.
 */
public enum Role {
  NODE,
  READER,
  OPERATOR,
  COORDINATOR;

  /** The lower-case name used in certificates and on the command line. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role fromKey(String key) {
    for (Role r : values()) {
      if (r.key().equals(key.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown role '" + key + "'; roles: node, reader, operator, coordinator");
  }
}
