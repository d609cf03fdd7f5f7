package io.fedbase.privacy;

import java.util.ArrayList;
import java.util.List;

/**
 * The rounds a federation has run, as runs of identical rounds {@code (q, σ, rounds)}: all the
 * accountant needs, since RDP adds over rounds. Immutable; {@link #plus} returns a new ledger. A
 * plain record of numbers, so Gson writes and reads it as it stands (e.g. in a JSON manifest:
 * {@code {"entries":[{"samplingRate":0.1,"noiseMultiplier":1.1,"rounds":40}]}}); the constructor
 * validates what was read.
 *
 * @param entries runs of rounds in the order they happened (a {@code null} list, as Gson gives for
 *     a missing field, is an empty ledger)
 */
public record PrivacyLedger(List<Entry> entries) {

  /**
   * {@code rounds} consecutive rounds, each sampling nodes at rate {@code samplingRate} and adding
   * Gaussian noise of {@code noiseMultiplier} times the clipping bound to the clipped sum.
   *
   * @param samplingRate q in (0, 1]: selected nodes / eligible nodes
   * @param noiseMultiplier σ ≥ 0, finite; 0 means no noise (ε = +∞ once such a round has run)
   * @param rounds ≥ 0
   */
  public record Entry(double samplingRate, double noiseMultiplier, long rounds) {
    public Entry {
      RdpAccountant.checkSamplingRate(samplingRate);
      RdpAccountant.checkNoiseMultiplier(noiseMultiplier);
      RdpAccountant.checkSteps(rounds);
    }

    /** RDP of these rounds at each order. */
    public double[] rdp(double[] orders) {
      return RdpAccountant.rdp(samplingRate, noiseMultiplier, rounds, orders);
    }

    boolean sameMechanism(double q, double sigma) {
      return Double.compare(samplingRate, q) == 0 && Double.compare(noiseMultiplier, sigma) == 0;
    }
  }

  private static final PrivacyLedger EMPTY = new PrivacyLedger(List.of());

  public PrivacyLedger {
    if (entries == null) {
      entries = List.of();
    } else {
      for (Entry e : entries) {
        if (e == null) {
          throw new IllegalArgumentException("a ledger entry must not be null");
        }
      }
      entries = List.copyOf(entries);
    }
  }

  /** The ledger of a federation that has run no rounds (ε = 0). */
  public static PrivacyLedger empty() {
    return EMPTY;
  }

  /** This ledger and one more round at {@code (q, σ)}. */
  public PrivacyLedger plus(double q, double noiseMultiplier) {
    return plus(q, noiseMultiplier, 1);
  }

  /**
   * This ledger and {@code rounds} more rounds at {@code (q, σ)}, merged into the last entry when
   * that has exactly the same q and σ. Adding 0 rounds returns this ledger (after validation).
   *
   * @throws ArithmeticException if the merged round count overflows a long
   */
  public PrivacyLedger plus(double q, double noiseMultiplier, long rounds) {
    Entry added = new Entry(q, noiseMultiplier, rounds);
    if (rounds == 0) {
      return this;
    }
    List<Entry> next = new ArrayList<>(entries);
    int last = next.size() - 1;
    if (last >= 0 && next.get(last).sameMechanism(q, noiseMultiplier)) {
      Entry merged = next.get(last);
      next.set(last, new Entry(q, noiseMultiplier, Math.addExact(merged.rounds(), rounds)));
    } else {
      next.add(added);
    }
    return new PrivacyLedger(next);
  }

  /** Total rounds recorded. */
  public long rounds() {
    long total = 0;
    for (Entry e : entries) {
      total = Math.addExact(total, e.rounds());
    }
    return total;
  }

  /** Total RDP at each order: the sum over entries. */
  public double[] rdp(double[] orders) {
    RdpAccountant.checkOrders(orders);
    double[] total = new double[orders.length];
    for (Entry e : entries) {
      double[] part = e.rdp(orders);
      for (int k = 0; k < total.length; k++) {
        total[k] += part[k];
      }
    }
    return total;
  }

  /** (ε, δ) spent so far, over {@link RdpAccountant#defaultOrders()}, improved conversion. */
  public PrivacySpent spent(double delta) {
    return spent(delta, RdpAccountant.defaultOrders(), RdpConversion.IMPROVED);
  }

  /** (ε, δ) spent so far over the given orders and conversion. */
  public PrivacySpent spent(double delta, double[] orders, RdpConversion conversion) {
    return RdpAccountant.spent(orders, rdp(orders), delta, conversion);
  }

  /**
   * Whether one more round at {@code (q, σ)} would take ε at δ above {@code budgetEpsilon}
   * (default orders, improved conversion): the check a coordinator makes before starting a round.
   */
  public boolean wouldExceed(double budgetEpsilon, double delta, double q, double noiseMultiplier) {
    checkBudget(budgetEpsilon);
    return plus(q, noiseMultiplier).spent(delta).epsilon() > budgetEpsilon;
  }

  /**
   * How many more rounds at {@code (q, σ)} fit in the budget: the largest n ≥ 0 such that
   * {@code plus(q, σ, n).spent(delta).epsilon() ≤ budgetEpsilon} (default orders, improved
   * conversion). 0 if the budget is already spent or the next round alone would exceed it;
   * {@link Long#MAX_VALUE} when the rounds are effectively free (RDP per round underflows to 0).
   */
  public long roundsWithin(double budgetEpsilon, double delta, double q, double noiseMultiplier) {
    checkBudget(budgetEpsilon);
    RdpAccountant.checkDelta(delta);
    new Entry(q, noiseMultiplier, 1); // validates q and σ
    double[] orders = RdpAccountant.defaultOrders();
    double[] perRound = RdpAccountant.rdp(q, noiseMultiplier, 1, orders);
    long n = RdpAccountant.roundsWithinEstimate(
        orders, rdp(orders), perRound, budgetEpsilon, delta, RdpConversion.IMPROVED);
    if (n == Long.MAX_VALUE) {
      return n;
    }
    // The estimate is exact up to rounding in the last bit; settle it on the real computation.
    while (n > 0 && !fits(n, budgetEpsilon, delta, q, noiseMultiplier)) {
      n--;
    }
    while (n < Long.MAX_VALUE - 1 && fits(n + 1, budgetEpsilon, delta, q, noiseMultiplier)) {
      n++;
    }
    return n;
  }

  private boolean fits(long n, double budgetEpsilon, double delta, double q, double sigma) {
    return plus(q, sigma, n).spent(delta).epsilon() <= budgetEpsilon;
  }

  private static void checkBudget(double budgetEpsilon) {
    if (!(budgetEpsilon >= 0)) {
      throw new IllegalArgumentException("epsilon budget must be ≥ 0, got " + budgetEpsilon);
    }
  }
}
