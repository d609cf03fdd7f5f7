package io.fedbase.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pseudo-random mask a 32-byte seed stands for: the AES-256-CTR keystream under the seed, read
 * as little-endian ints, added to (or subtracted from) an int vector mod 2^32.
 *
 * <p>Seekable: int {@code i} of the mask is bytes {@code 4i..4i+3} of the keystream, so a chunk at
 * any offset is masked by starting the counter at block {@code 4i/16} — a node masks its upload
 * chunk by chunk and the coordinator removes masks chunk by chunk, neither holding a whole mask.
 * The counter block is an 8-byte domain tag followed by the 64-bit block index; every seed is used
 * for one mask only (pairwise seeds come out of HKDF per round and pair, self-mask seeds are
 * fresh random), so the fixed tag never repeats a keystream under one key.
 *
 * <p>Keystream comes out of the cipher 4 KiB at a time into per-thread scratch arrays, so memory
 * is constant and the JDK's AES-CTR intrinsic does the work. Not thread-safe (it holds a Cipher);
 * use one generator per thread.
 */
public final class MaskGenerator {

  public static final int SEED_BYTES = 32;

  // 4 KiB per cipher call: C2 compiles the AES-CTR intrinsic after enough calls, and with 64 KiB
  // calls that took hundreds of MB at ~200 MB/s; 4 KiB calls reach it within the first few MB
  private static final int BLOCK_INTS = 1 << 10;
  private static final int BLOCK_BYTES = BLOCK_INTS * Integer.BYTES;
  private static final byte[] DOMAIN = "fbsa-prg".getBytes(StandardCharsets.US_ASCII);

  /** Zeros in, keystream out: reused buffers so masking allocates nothing per chunk. */
  private static final class Scratch {
    final byte[] zeros = new byte[BLOCK_BYTES];
    final byte[] stream = new byte[BLOCK_BYTES];
    final IntBuffer streamInts = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    final int[] mask = new int[BLOCK_INTS];
    final int[] target = new int[BLOCK_INTS];
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final SecretKeySpec key;
  private final Cipher cipher;

  public MaskGenerator(byte[] seed) {
    if (seed.length != SEED_BYTES) {
      throw new IllegalArgumentException("a mask seed has " + SEED_BYTES + " bytes, got " + seed.length);
    }
    this.key = new SecretKeySpec(seed, "AES");
    try {
      this.cipher = Cipher.getInstance("AES/CTR/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM lacks AES/CTR: " + e.getMessage(), e);
    }
  }

  /** Adds mask ints {@code offset, offset+1, ...} to {@code target}'s remaining ints (position unmoved). */
  public void add(IntBuffer target, long offset) {
    apply(target, offset, false);
  }

  /** Subtracts mask ints {@code offset, offset+1, ...} from {@code target}'s remaining ints (position unmoved). */
  public void subtract(IntBuffer target, long offset) {
    apply(target, offset, true);
  }

  /** Adds ({@code sign > 0}) or subtracts ({@code sign < 0}) the mask. */
  public void apply(IntBuffer target, long offset, int sign) {
    if (sign == 0) {
      throw new IllegalArgumentException("sign must be +1 or -1");
    }
    apply(target, offset, sign < 0);
  }

  private void apply(IntBuffer target, long offset, boolean subtract) {
    if (offset < 0) {
      throw new IllegalArgumentException("negative mask offset " + offset);
    }
    Scratch s = SCRATCH.get();
    int start = target.position();
    int n = target.remaining();
    seek(offset, s);
    for (int done = 0; done < n; ) {
      int count = Math.min(BLOCK_INTS, n - done);
      keystream(s, count * Integer.BYTES);
      s.streamInts.get(0, s.mask, 0, count);
      int at = start + done;
      if (target.hasArray()) {
        combine(target.array(), target.arrayOffset() + at, s.mask, count, subtract);
      } else {
        target.get(at, s.target, 0, count);
        combine(s.target, 0, s.mask, count, subtract);
        target.put(at, s.target, 0, count);
      }
      done += count;
    }
  }

  // a plain loop over arrays: the JIT vectorises it
  private static void combine(int[] into, int from, int[] mask, int count, boolean subtract) {
    if (subtract) {
      for (int i = 0; i < count; i++) {
        into[from + i] -= mask[i];
      }
    } else {
      for (int i = 0; i < count; i++) {
        into[from + i] += mask[i];
      }
    }
  }

  private void seek(long offset, Scratch s) {
    long block = offset / 4;
    byte[] counter = Arrays.copyOf(DOMAIN, 16);
    ByteBuffer.wrap(counter, 8, 8).putLong(block);
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(counter));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot start AES/CTR: " + e.getMessage(), e);
    }
    int skip = (int) (offset % 4) * Integer.BYTES;
    if (skip > 0) {
      keystream(s, skip);
    }
  }

  private void keystream(Scratch s, int bytes) {
    try {
      int produced = cipher.update(s.zeros, 0, bytes, s.stream, 0);
      if (produced != bytes) {
        throw new IllegalStateException("AES/CTR returned " + produced + " of " + bytes + " keystream bytes");
      }
    } catch (ShortBufferException e) {
      throw new IllegalStateException(e);
    }
  }
}
