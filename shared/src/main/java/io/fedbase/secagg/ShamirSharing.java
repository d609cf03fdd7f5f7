package io.fedbase.secagg;

import io.fedbase.space.Digests;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * t-of-n Shamir secret sharing of 32-byte secrets over the prime field GF(2^521 - 1): a Mersenne
 * prime larger than any 256-bit secret, so a secret is one field element and needs no splitting.
 * Any {@code t} shares give the secret back; fewer give no information about it.
 */
public final class ShamirSharing {

  public static final int SECRET_BYTES = 32;
  /** Bytes of one field element: 521 bits round up to 66 bytes. */
  public static final int VALUE_BYTES = 66;
  public static final int COMMITMENT_BYTES = 32;

  static final BigInteger PRIME = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  private ShamirSharing() {}

  /** Shares {@code secret} among x = 1..n so that any {@code threshold} of them reconstruct it. */
  public static List<SecretShare> share(byte[] secret, int threshold, int n, SecureRandom random) {
    if (secret.length != SECRET_BYTES) {
      throw new IllegalArgumentException("secrets are " + SECRET_BYTES + " bytes, got " + secret.length);
    }
    if (threshold < 1 || threshold > n) {
      throw new IllegalArgumentException("need 1 <= threshold <= n, got threshold " + threshold + " of " + n);
    }
    // f(x) = secret + a1 x + ... + a_{t-1} x^{t-1}, coefficients uniform in the field
    BigInteger[] coefficients = new BigInteger[threshold];
    coefficients[0] = new BigInteger(1, secret);
    for (int i = 1; i < threshold; i++) {
      coefficients[i] = randomElement(random);
    }
    byte[] commitment = commitment(secret);
    List<SecretShare> shares = new ArrayList<>(n);
    for (int x = 1; x <= n; x++) {
      BigInteger bx = BigInteger.valueOf(x);
      BigInteger y = BigInteger.ZERO;
      for (int i = threshold - 1; i >= 0; i--) {
        y = y.multiply(bx).add(coefficients[i]).mod(PRIME);
      }
      shares.add(new SecretShare(x, toBytes(y, VALUE_BYTES), commitment));
    }
    return List.copyOf(shares);
  }

  /**
   * The secret behind {@code threshold} of the given shares (the ones with the lowest x).
   *
   * @throws SecAggException BELOW_THRESHOLD for fewer than {@code threshold} distinct shares;
   *     MALFORMED for two different shares at one x; RECONSTRUCTION_FAILED when the shares
   *     disagree on the commitment or interpolate to a secret that does not match it (a corrupted
   *     or foreign share)
   */
  public static byte[] reconstruct(List<SecretShare> shares, int threshold) throws SecAggException {
    if (threshold < 1) {
      throw new IllegalArgumentException("the threshold is at least 1, got " + threshold);
    }
    List<SecretShare> sorted = new ArrayList<>(shares);
    sorted.sort(Comparator.comparingInt(SecretShare::x));
    List<SecretShare> distinct = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (SecretShare s : sorted) {
      if (!seen.add(s.x())) {
        if (!s.equals(distinct.get(distinct.size() - 1))) {
          throw new SecAggException(SecAggException.Reason.MALFORMED, "two different shares claim x = " + s.x());
        }
        continue;
      }
      distinct.add(s);
    }
    if (distinct.size() < threshold) {
      throw new SecAggException(
          SecAggException.Reason.BELOW_THRESHOLD, "reconstruction needs " + threshold + " shares, got " + distinct.size());
    }
    List<SecretShare> used = distinct.subList(0, threshold);
    byte[] commitment = used.get(0).commitment();
    for (SecretShare s : used) {
      if (!Arrays.equals(s.commitment(), commitment)) {
        throw new SecAggException(SecAggException.Reason.RECONSTRUCTION_FAILED, "the shares are of different secrets");
      }
    }
    BigInteger secret = interpolateAtZero(used);
    if (secret.bitLength() > SECRET_BYTES * 8) {
      throw new SecAggException(SecAggException.Reason.RECONSTRUCTION_FAILED, "the shares do not reconstruct a 32-byte secret");
    }
    byte[] bytes = toBytes(secret, SECRET_BYTES);
    if (!MessageDigest.isEqual(commitment(bytes), commitment)) {
      throw new SecAggException(SecAggException.Reason.RECONSTRUCTION_FAILED, "the reconstructed secret does not match its commitment");
    }
    return bytes;
  }

  /** SHA-256 of the secret, carried in every share. */
  static byte[] commitment(byte[] secret) {
    return Digests.sha256().digest(secret);
  }

  // Lagrange: f(0) = sum_i y_i * prod_{j != i} x_j / (x_j - x_i)
  private static BigInteger interpolateAtZero(List<SecretShare> shares) {
    BigInteger sum = BigInteger.ZERO;
    for (SecretShare si : shares) {
      BigInteger numerator = BigInteger.ONE;
      BigInteger denominator = BigInteger.ONE;
      for (SecretShare sj : shares) {
        if (sj.x() != si.x()) {
          numerator = numerator.multiply(BigInteger.valueOf(sj.x())).mod(PRIME);
          denominator = denominator.multiply(BigInteger.valueOf(sj.x() - si.x())).mod(PRIME);
        }
      }
      BigInteger yi = new BigInteger(1, si.y());
      sum = sum.add(yi.multiply(numerator).mod(PRIME).multiply(denominator.modInverse(PRIME))).mod(PRIME);
    }
    return sum;
  }

  private static BigInteger randomElement(SecureRandom random) {
    BigInteger r;
    do {
      r = new BigInteger(521, random);
    } while (r.compareTo(PRIME) >= 0);
    return r;
  }

  private static byte[] toBytes(BigInteger value, int length) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[length];
    int n = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - n, out, length - n, n);
    return out;
  }
}
