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
}
