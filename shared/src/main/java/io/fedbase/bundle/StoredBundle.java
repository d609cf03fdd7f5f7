package io.fedbase.bundle;

import io.fedbase.proto.v1.BundleKind;
import io.fedbase.space.SupernetSpec;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A bundle as read from or written to a file: the values plus what kind it is and its provenance. */
public record StoredBundle(Bundle bundle, BundleKind kind, Map<String, String> metadata) {

  /** Metadata key holding the model spec's canonical text, so a file describes itself. */
  public static final String SPEC_TEXT = "spec_text";

  public StoredBundle {
    metadata = Map.copyOf(metadata);
  }

  /** A parameter bundle (a prior or an adapted W). */
  public static StoredBundle parameters(Bundle bundle, Map<String, String> metadata) {
    return new StoredBundle(bundle, BundleKind.BUNDLE_KIND_PARAMETERS, metadata);
  }

  /** A parameter bundle that also carries {@code spec}'s canonical text. */
  public static StoredBundle parameters(Bundle bundle, SupernetSpec spec, Map<String, String> metadata) {
    Map<String, String> m = new HashMap<>(metadata);
    m.put(SPEC_TEXT, spec.canonicalText());
    return parameters(bundle, m);
  }

  /** The model spec written into the file, if any and if it matches the tensors' spec hash. */
  public Optional<SupernetSpec> spec() {
    String text = metadata.get(SPEC_TEXT);
    if (text == null) {
      return Optional.empty();
    }
    try {
      SupernetSpec spec = SupernetSpec.parseCanonical(text);
      return spec.hash().equals(bundle.layout().specHash()) ? Optional.of(spec) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
