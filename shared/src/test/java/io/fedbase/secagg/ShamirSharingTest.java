package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShamirSharingTest {

  private final SecureRandom random = TestFederation.seeded(11);

  private byte[] secret() {
    byte[] s = new byte[32];
    random.nextBytes(s);
    return s;
  }

  @Test
  void anyThresholdSubsetReconstructsTheSecret() throws SecAggException {
    byte[] secret = secret();
    List<SecretShare> shares = ShamirSharing.share(secret, 4, 7, random);
    assertEquals(7, shares.size());
    for (int i = 0; i < 7; i++) {
      assertEquals(i + 1, shares.get(i).x());
    }
    Random pick = new Random(5);
    for (int trial = 0; trial < 10; trial++) {
      List<SecretShare> subset = new ArrayList<>(shares);
      Collections.shuffle(subset, pick);
      assertArrayEquals(secret, ShamirSharing.reconstruct(subset.subList(0, 4), 4), "subset " + subset.subList(0, 4));
    }
    assertArrayEquals(secret, ShamirSharing.reconstruct(shares, 4), "more than t shares");
    assertArrayEquals(secret, ShamirSharing.reconstruct(List.of(shares.get(6), shares.get(0), shares.get(3), shares.get(5)), 4));

    // secrets at the edges of the 256-bit range
    byte[] zeros = new byte[32];
    byte[] ones = new byte[32];
    Arrays.fill(ones, (byte) 0xff);
    assertArrayEquals(zeros, ShamirSharing.reconstruct(ShamirSharing.share(zeros, 2, 3, random).subList(1, 3), 2));
    assertArrayEquals(ones, ShamirSharing.reconstruct(ShamirSharing.share(ones, 3, 3, random), 3));
  }

  @Test
  void fewerThanThresholdSharesAreRefused() {
    List<SecretShare> shares = ShamirSharing.share(secret(), 4, 7, random);
    SecAggException e = assertThrows(SecAggException.class, () -> ShamirSharing.reconstruct(shares.subList(0, 3), 4));
    assertEquals(SecAggException.Reason.BELOW_THRESHOLD, e.reason());
    // a duplicate of one share is not a second share
    List<SecretShare> repeated = List.of(shares.get(0), shares.get(1), shares.get(2), shares.get(2));
    assertEquals(SecAggException.Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> ShamirSharing.reconstruct(repeated, 4)).reason());
  }

  @Test
  void aCorruptedShareIsDetectedByTheCommitment() {
    byte[] secret = secret();
    List<SecretShare> shares = new ArrayList<>(ShamirSharing.share(secret, 3, 5, random));
    byte[] y = shares.get(1).y();
    y[40] ^= 1;
    shares.set(1, new SecretShare(2, y, shares.get(1).commitment()));
    SecAggException e = assertThrows(SecAggException.class, () -> ShamirSharing.reconstruct(shares.subList(0, 3), 3));
    assertEquals(SecAggException.Reason.RECONSTRUCTION_FAILED, e.reason());

    // a share of another secret
    List<SecretShare> other = ShamirSharing.share(secret(), 3, 5, random);
    List<SecretShare> mixed = List.of(shares.get(0), other.get(1), shares.get(2));
    assertEquals(SecAggException.Reason.RECONSTRUCTION_FAILED, assertThrows(SecAggException.class, () -> ShamirSharing.reconstruct(mixed, 3)).reason());

    // two different values claiming one x
    SecretShare clash = new SecretShare(1, other.get(0).y(), shares.get(0).commitment());
    assertEquals(
        SecAggException.Reason.MALFORMED,
        assertThrows(SecAggException.class, () -> ShamirSharing.reconstruct(List.of(shares.get(0), clash, shares.get(2), shares.get(3)), 3)).reason());
  }

  @Test
  void sharesOfOneSecretDifferBetweenSharings() {
    byte[] secret = secret();
    List<SecretShare> a = ShamirSharing.share(secret, 3, 5, random);
    List<SecretShare> b = ShamirSharing.share(secret, 3, 5, random);
    for (int i = 0; i < 5; i++) {
      assertFalse(Arrays.equals(a.get(i).y(), b.get(i).y()), "fresh coefficients every time");
    }
    assertThrows(IllegalArgumentException.class, () -> ShamirSharing.share(new byte[31], 2, 3, random));
    assertThrows(IllegalArgumentException.class, () -> ShamirSharing.share(secret, 4, 3, random));
    assertFalse(a.get(0).toString().contains(java.util.HexFormat.of().formatHex(a.get(0).y())), "values stay out of toString");
  }
}
