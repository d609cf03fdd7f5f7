package io.fedbase.space;

import java.util.Arrays;
import java.util.Locale;

/** The eight candidate operations of the DARTS search space, under their DARTS names. */
public enum Operation {
  NONE("none"),
  MAX_POOL_3X3("max_pool_3x3"),
  AVG_POOL_3X3("avg_pool_3x3"),
  SKIP_CONNECT("skip_connect"),
  SEP_CONV_3X3("sep_conv_3x3"),
  SEP_CONV_5X5("sep_conv_5x5"),
  DIL_CONV_3X3("dil_conv_3x3"),
  DIL_CONV_5X5("dil_conv_5x5");

  private final String dartsName;

  Operation(String dartsName) {
    this.dartsName = dartsName;
  }

  /** The name used in DARTS genotypes, JSON and tensor names. */
  public String dartsName() {
    return dartsName;
  }

  /** Looks an operation up by its DARTS name. */
  public static Operation fromDartsName(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (Operation op : values()) {
      if (op.dartsName.equals(wanted)) {
        return op;
      }
    }
    throw new IllegalArgumentException(
        "unknown operation '" + name + "'; known: " + Arrays.toString(Arrays.stream(values()).map(Operation::dartsName).toArray()));
  }

  @Override
  public String toString() {
    return dartsName;
  }
}
