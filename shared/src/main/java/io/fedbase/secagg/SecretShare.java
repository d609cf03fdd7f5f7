package io.fedbase.secagg;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One Shamir share of a 32-byte secret: the point {@code (x, y)} of the sharing polynomial over
 * GF(2^521 - 1), with the SHA-256 of the secret so that reconstruction can tell a right answer
 * from a wrong one (the secrets shared here are 256-bit random, so the hash reveals nothing).
 *
 * @param x the holder's x-coordinate, 1..n
 * @param y the polynomial's value at x, {@link ShamirSharing#VALUE_BYTES} bytes big-endian
 * @param commitment SHA-256 of the secret
 */
public record SecretShare(int x, byte[] y, byte[] commitment) {

  public SecretShare {
    if (x < 1) {
      throw new IllegalArgumentException("a share's x-coordinate is at least 1, got " + x);
    }
    if (y.length != ShamirSharing.VALUE_BYTES || commitment.length != ShamirSharing.COMMITMENT_BYTES) {
      throw new IllegalArgumentException(
          "a share holds a " + ShamirSharing.VALUE_BYTES + "-byte value and a " + ShamirSharing.COMMITMENT_BYTES + "-byte commitment");
    }
    y = y.clone();
    commitment = commitment.clone();
  }

  @Override
  public byte[] y() {
    return y.clone();
  }

  @Override
  public byte[] commitment() {
    return commitment.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretShare s && s.x == x && Arrays.equals(s.y, y) && Arrays.equals(s.commitment, commitment);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * x + Arrays.hashCode(y)) + Arrays.hashCode(commitment);
  }

  @Override
  public String toString() {
    // the value stays out of logs
    return "SecretShare[x=" + x + ", commitment=" + HexFormat.of().formatHex(commitment, 0, 8) + "…]";
  }
}
