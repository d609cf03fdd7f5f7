package io.fedbase.bundle;

import io.fedbase.proto.v1.BundleKind;
import java.util.Map;

/** A bundle as read from or written to a file: the values plus what kind it is and its provenance. */
public record StoredBundle(Bundle bundle, BundleKind kind, Map<String, String> metadata) {

  public StoredBundle {
    metadata = Map.copyOf(metadata);
  }

  /** A parameter bundle (a prior or an adapted W). */
  public static StoredBundle parameters(Bundle bundle, Map<String, String> metadata) {
    return new StoredBundle(bundle, BundleKind.BUNDLE_KIND_PARAMETERS, metadata);
  }
}
