package io.fedbase.coordinator.aggregate;

/**
 * How {@link SpillingAggregate} walks the model: blocks of {@code blockSize} coordinates, each read
 * from every one of the {@code uploads} kept files. A block costs {@code 4·blockSize·(uploads + 1)}
 * bytes: the k×B matrix of values the rule reduces plus the one direct buffer the files are read
 * into. The block size is the largest that keeps that within the memory bound, so the working set
 * stays the bound however many nodes upload; the uploads themselves stay on disk.
 *
 * @param values coordinates in the model
 * @param uploads kept uploads (k)
 * @param blockSize coordinates per block (B)
 */
public record BlockPlan(int values, int uploads, int blockSize) {

  /**
   * Smallest block: below 1 KiB per read the per-call overhead of k positional reads per block
   * dominates. Only a bound under {@code 4·256·(k + 1)} bytes is exceeded because of it.
   */
  public static final int MIN_BLOCK = 256;

  public BlockPlan {
    if (values < 1 || uploads < 1 || blockSize < 1 || blockSize > values) {
      throw new IllegalArgumentException("no block plan for " + values + " values, " + uploads + " uploads, blocks of " + blockSize);
    }
  }

  /** The plan for {@code uploads} uploads of {@code values} floats within {@code memoryBytes}. */
  public static BlockPlan of(long memoryBytes, int uploads, int values) {
    if (memoryBytes < 1) {
      throw new IllegalArgumentException("the aggregation memory bound must be positive, got " + memoryBytes);
    }
    long perCoordinate = (long) Float.BYTES * (uploads + 1);
    long b = Math.max(MIN_BLOCK, memoryBytes / perCoordinate);
    // the matrix is one Java array, indexed by int
    b = Math.min(b, (Integer.MAX_VALUE - 8) / uploads);
    return new BlockPlan(values, uploads, (int) Math.min(b, values));
  }

  /** Bytes a block's matrix and read buffer take together. */
  public long bytes() {
    return (long) Float.BYTES * blockSize * (uploads + 1);
  }

  /** Blocks needed to cover the model (the last one may be shorter). */
  public int blocks() {
    return (int) (((long) values + blockSize - 1) / blockSize);
  }
}
