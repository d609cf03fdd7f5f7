package io.fedbase.encoding;

import io.fedbase.bundle.BundleLayout;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * How a node's delta travels in an upload. The lossy encodings round stochastically, so each
 * decoded value is an unbiased estimate of the original and rounding errors average out across
 * nodes instead of accumulating as a bias in the prior.
 */
public enum DeltaEncoding {
  /** The delta as float32 little-endian: exact. */
  FLOAT32("fp32", 4, 1),
  /** IEEE half precision (5-bit exponent): ½ the bytes; magnitudes above 65504 are clamped. */
  FLOAT16("fp16", 2, 2),
  /** bfloat16 (float32's exponent, 7-bit mantissa): ½ the bytes, float32's range. */
  BFLOAT16("bf16", 2, 3),
  /**
   * One float32 scale per tensor (its largest magnitude / 127), then one signed byte per value:
   * ¼ the bytes plus 4 per tensor.
   */
  INT8("int8", 1, 4),
  /**
   * A securely aggregated round's masked delta: int32 values of the ring Z/2^32 (see
   * {@code io.fedbase.secagg}). Not a node's choice: the coordinator asks for it in secure rounds,
   * and the values mean nothing one by one.
   */
  SECURE_RING32("ring32", 4, 5);

  private final String label;
  private final int valueBytes;
  private final int wireNumber;

  DeltaEncoding(String label, int valueBytes, int wireNumber) {
    this.label = label;
    this.valueBytes = valueBytes;
    this.wireNumber = wireNumber;
  }

  /** The value of the protocol's {@code UpdateEncoding} enum that names this encoding. */
  public int wireNumber() {
    return wireNumber;
  }

  /** The encoding a wire number names; empty for numbers this version does not know. */
  public static Optional<DeltaEncoding> fromWireNumber(int number) {
    return Arrays.stream(values()).filter(e -> e.wireNumber == number).findFirst();
  }

  /** The short name used on the command line and in records ({@code fp32}, {@code int8}, …). */
  public String label() {
    return label;
  }

  /** Whether the payload is masked ring elements rather than an encoding of the delta itself. */
  public boolean masked() {
    return this == SECURE_RING32;
  }

  /** Bytes per encoded value, not counting per-tensor scales. */
  public int valueBytes() {
    return valueBytes;
  }

  /** Bytes of a per-tensor header before the values (int8's scales). */
  public long headerBytes(BundleLayout layout) {
    return this == INT8 ? (long) layout.tensors().size() * Float.BYTES : 0;
  }

  /** Exact payload length of a whole delta of {@code layout} in this encoding. */
  public long payloadBytes(BundleLayout layout) {
    return headerBytes(layout) + (long) layout.totalSize() * valueBytes;
  }

  /** The encodings a node or an operator may choose: all but the masked ring of secure rounds. */
  public static List<DeltaEncoding> choosable() {
    return Arrays.stream(values()).filter(e -> !e.masked()).toList();
  }

  /** Parses a choosable label ({@code fp32 | fp16 | bf16 | int8}), case-insensitively. */
  public static DeltaEncoding parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (DeltaEncoding e : choosable()) {
      if (e.label.equals(wanted)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        "unknown delta encoding '" + text + "'; one of " + choosable().stream().map(DeltaEncoding::label).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return label;
  }
}
