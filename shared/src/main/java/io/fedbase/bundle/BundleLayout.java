package io.fedbase.bundle;

import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each named tensor sits in a bundle's flat value array, plus the spec hash the tensors
 * belong to. Two bundles can be combined only if their layouts are equal.
 */
public final class BundleLayout {

  private final String specHash;
  private final List<TensorSpec> tensors;
  private final int[] offsets;
  private final Map<String, Integer> indexByName;
  private final int totalSize;

  public BundleLayout(String specHash, List<TensorSpec> tensors) {
    if (specHash == null || specHash.isBlank()) {
      throw new IllegalArgumentException("a bundle layout needs a spec hash");
    }
    this.specHash = specHash;
    this.tensors = List.copyOf(tensors);
    this.offsets = new int[this.tensors.size() + 1];
    this.indexByName = new HashMap<>();
    long offset = 0;
    for (int i = 0; i < this.tensors.size(); i++) {
      TensorSpec t = this.tensors.get(i);
      if (indexByName.put(t.name(), i) != null) {
        throw new IllegalArgumentException("duplicate tensor name " + t.name());
      }
      offsets[i] = (int) offset;
      offset += t.size();
      if (offset > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("bundle too large: more than 2^31 values");
      }
    }
    offsets[this.tensors.size()] = (int) offset;
    this.totalSize = (int) offset;
  }

  /** The layout of W for a supernet spec. */
  public static BundleLayout of(SupernetSpec spec) {
    return new BundleLayout(spec.hash(), spec.tensors());
  }

  public String specHash() {
    return specHash;
  }

  public List<TensorSpec> tensors() {
    return tensors;
  }

  /** Total number of float values. */
  public int totalSize() {
    return totalSize;
  }

  /** Index of a tensor by name. */
  public int indexOf(String name) {
    Integer i = indexByName.get(name);
    if (i == null) {
      throw new IllegalArgumentException("no tensor named " + name + " in this bundle");
    }
    return i;
  }

  public boolean contains(String name) {
    return indexByName.containsKey(name);
  }

  /** First value of tensor {@code index}. */
  public int offset(int index) {
    return offsets[index];
  }

  /** One past the last value of tensor {@code index}. */
  public int end(int index) {
    return offsets[index + 1];
  }

  /** Throws a clear error unless {@code other} has exactly this layout. */
  public void requireSame(BundleLayout other) {
    if (!equals(other)) {
      throw new IllegalArgumentException(
          "bundles do not match: spec " + shortHash(specHash) + " with " + tensors.size()
              + " tensors vs spec " + shortHash(other.specHash) + " with " + other.tensors.size() + " tensors");
    }
  }

  /** The first 12 hex digits of a spec hash, for messages and directory names. */
  public static String shortHash(String hash) {
    return hash.length() > 12 ? hash.substring(0, 12) : hash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BundleLayout l
        && (l == this || (l.specHash.equals(specHash) && l.tensors.equals(tensors)));
  }

  @Override
  public int hashCode() {
    return specHash.hashCode() * 31 + Arrays.hashCode(offsets);
  }
}
