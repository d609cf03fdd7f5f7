package io.fedbase.space;

/** Normal cells keep the resolution; reduction cells halve it and double the channels. */
public enum CellType {
  NORMAL("normal"),
  REDUCE("reduce");

  private final String key;

  CellType(String key) {
    this.key = key;
  }

  /** Lower-case key used in tensor names and JSON. */
  public String key() {
    return key;
  }

  /** The cell type of a {@link #key()}. */
  public static CellType fromKey(String key) {
    for (CellType t : values()) {
      if (t.key.equals(key)) {
        return t;
      }
    }
    throw new IllegalArgumentException("unknown cell type '" + key + "'; use normal or reduce");
  }
}
