package io.fedbase.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrivacyLedgerTest {

  private static final double[] ORDERS = RdpAccountant.defaultOrders();

  @Test
  void plusMergesIdenticalConsecutiveRoundsOnly() {
    PrivacyLedger ledger = PrivacyLedger.empty()
        .plus(0.1, 1.2)
        .plus(0.1, 1.2)
        .plus(0.2, 1.2)
        .plus(0.1, 1.2, 5)
        .plus(0.1, 1.2);
    assertEquals(List.of(
        new PrivacyLedger.Entry(0.1, 1.2, 2),
        new PrivacyLedger.Entry(0.2, 1.2, 1),
        new PrivacyLedger.Entry(0.1, 1.2, 6)), ledger.entries());
    assertEquals(9, ledger.rounds());
    PrivacyLedger same = ledger.plus(0.5, 1.0, 0);
    assertSame(ledger, same);
  }

  @Test
  void isImmutable() {
    List<PrivacyLedger.Entry> source = new ArrayList<>();
    source.add(new PrivacyLedger.Entry(0.1, 1.0, 3));
    PrivacyLedger ledger = new PrivacyLedger(source);
    source.add(new PrivacyLedger.Entry(0.2, 1.0, 3));
    assertEquals(1, ledger.entries().size());
    assertThrows(UnsupportedOperationException.class,
        () -> ledger.entries().add(new PrivacyLedger.Entry(0.3, 1.0, 1)));
    PrivacyLedger longer = ledger.plus(0.1, 1.0);
    assertEquals(3, ledger.rounds());
    assertEquals(4, longer.rounds());
  }

  @Test
  void rdpComposesAdditivelyOverEntries() {
    PrivacyLedger ledger = PrivacyLedger.empty().plus(0.05, 1.1, 30).plus(0.2, 2.0, 7).plus(1.0, 4.0, 2);
    double[] expected = new double[ORDERS.length];
    double[][] parts = {
      RdpAccountant.rdp(0.05, 1.1, 30, ORDERS),
      RdpAccountant.rdp(0.2, 2.0, 7, ORDERS),
      RdpAccountant.rdp(1.0, 4.0, 2, ORDERS),
    };
    for (double[] part : parts) {
      for (int k = 0; k < expected.length; k++) {
        expected[k] += part[k];
      }
    }
    assertArrayEquals(expected, ledger.rdp(ORDERS), 1e-12);
    assertEquals(RdpAccountant.spent(ORDERS, expected, 1e-5), ledger.spent(1e-5));
  }

  @Test
  void aLedgerOfOneEntryIsTheStaticAccountant() {
    PrivacyLedger ledger = PrivacyLedger.empty().plus(256 / 60000.0, 1.1, 14063);
    assertEquals(RdpAccountant.spent(256 / 60000.0, 1.1, 14063, 1e-5), ledger.spent(1e-5));
  }

  @Test
  void emptyLedgerHasSpentNothingAndNoiselessRoundsSpendEverything() {
    assertEquals(0.0, PrivacyLedger.empty().spent(1e-5).epsilon());
    assertEquals(0, PrivacyLedger.empty().rounds());
    PrivacyLedger noiseless = PrivacyLedger.empty().plus(0.1, 1.0, 10).plus(0.1, 0.0);
    assertEquals(Double.POSITIVE_INFINITY, noiseless.spent(1e-5).epsilon());
  }

  @Test
  void gsonRoundTrip() {
    Gson gson = new Gson();
    PrivacyLedger ledger = PrivacyLedger.empty().plus(0.1, 1.1, 40).plus(0.25, 0.9, 3);
    String json = gson.toJson(ledger);
    assertEquals("{\"entries\":[{\"samplingRate\":0.1,\"noiseMultiplier\":1.1,\"rounds\":40},"
        + "{\"samplingRate\":0.25,\"noiseMultiplier\":0.9,\"rounds\":3}]}", json);
    PrivacyLedger back = gson.fromJson(json, PrivacyLedger.class);
    assertEquals(ledger, back);
    assertEquals(ledger.spent(1e-5), back.spent(1e-5));
    assertEquals(PrivacyLedger.empty(), gson.fromJson("{}", PrivacyLedger.class));
  }

  @Test
  void gsonRejectsAnInvalidEntry() {
    Gson gson = new Gson();
    RuntimeException e = assertThrows(RuntimeException.class, () -> gson.fromJson(
        "{\"entries\":[{\"samplingRate\":1.5,\"noiseMultiplier\":1.0,\"rounds\":1}]}", PrivacyLedger.class));
    Throwable cause = e;
    while (cause != null && !(cause instanceof IllegalArgumentException)) {
      cause = cause.getCause();
    }
    assertTrue(cause != null, "an IllegalArgumentException from the record's constructor: " + e);
  }

  @Test
  void wouldExceedAndRoundsWithinAgree() {
    double q = 0.1;
    double sigma = 1.0;
    double budget = 4.0;
    PrivacyLedger ledger = PrivacyLedger.empty().plus(0.3, 2.0, 12);
    long n = ledger.roundsWithin(budget, 1e-5, q, sigma);
    assertTrue(n > 0);
    PrivacyLedger atLimit = ledger.plus(q, sigma, n);
    assertTrue(atLimit.spent(1e-5).epsilon() <= budget);
    assertTrue(atLimit.wouldExceed(budget, 1e-5, q, sigma));
    assertFalse(ledger.plus(q, sigma, n - 1).wouldExceed(budget, 1e-5, q, sigma));
    assertEquals(0, atLimit.roundsWithin(budget, 1e-5, q, sigma));
    // a coordinator that checks before every round stops after exactly n of them
    PrivacyLedger running = ledger;
    long ran = 0;
    while (!running.wouldExceed(budget, 1e-5, q, sigma)) {
      running = running.plus(q, sigma);
      ran++;
    }
    assertEquals(n, ran);
  }

  @Test
  void roundsWithinOnAnOverspentLedgerIsZero() {
    PrivacyLedger spent = PrivacyLedger.empty().plus(1.0, 0.5, 10);
    assertTrue(spent.spent(1e-5).epsilon() > 1.0);
    assertEquals(0, spent.roundsWithin(1.0, 1e-5, 0.01, 5.0));
    assertTrue(spent.wouldExceed(1.0, 1e-5, 0.01, 5.0));
  }

  @Test
  void entriesAreValidated() {
    assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Entry(0.0, 1.0, 1));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Entry(1.01, 1.0, 1));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Entry(0.5, -1.0, 1));
    assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger.Entry(0.5, 1.0, -1));
    List<PrivacyLedger.Entry> withNull = new ArrayList<>();
    withNull.add(null);
    assertThrows(IllegalArgumentException.class, () -> new PrivacyLedger(withNull));
    assertEquals(PrivacyLedger.empty(), new PrivacyLedger(null));
    assertThrows(IllegalArgumentException.class, () -> PrivacyLedger.empty().plus(0.1, 1.0, -2));
    assertThrows(IllegalArgumentException.class, () -> PrivacyLedger.empty().wouldExceed(-1, 1e-5, 0.1, 1.0));
    assertThrows(ArithmeticException.class,
        () -> PrivacyLedger.empty().plus(0.1, 1.0, Long.MAX_VALUE).plus(0.1, 1.0));
  }
}
