package io.fedbase.privacy;

import java.util.Arrays;

/**
 * Rényi-DP accountant for the Poisson-subsampled Gaussian mechanism (SGM), after Mironov, Talwar
 * and Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism" (arXiv:1908.10530,
 * §3.3): the same series TF Privacy's {@code compute_rdp} and Opacus' {@code analysis/rdp.py}
 * evaluate ({@code _compute_log_a_int} for integer orders, {@code _compute_log_a_frac} for
 * fractional ones), computed in log space. Stateless; every method is a pure function.
 *
 * <h2>What the numbers mean in fedbase</h2>
 *
 * The guarantee is <em>client-level</em> (DP-FedAvg style, McMahan et al. 2018): neighbouring
 * federations differ by one whole node and all of its data. Each round the coordinator samples
 * nodes with rate {@code q} = selected nodes / eligible nodes, every selected node's delta is
 * clipped to an L2 bound {@code S}, and Gaussian noise of standard deviation {@code σ·S} is added
 * to their sum. {@code σ} is the <em>noise multiplier</em>; a round that selects every node has
 * {@code q = 1}, where the RDP is exactly {@code α/(2σ²)} per round. RDP adds over rounds, and
 * rounds may differ in {@code (q, σ)} (see {@link PrivacyLedger}). The result, {@code (ε, δ)} after
 * T rounds, bounds what the released sequence of global models reveals about the participation
 * and data of any single node (scaling the noised sum by a public constant, as averaging over the
 * expected number of nodes does, is post-processing and costs nothing). It says nothing about an
 * adversary who sees individual uploads: the sum is only private once noised, so the coordinator
 * is trusted with the unnoised uploads unless secure aggregation hides them. Choose δ well below
 * 1/(number of eligible nodes).
 *
 * <h2>Assumptions and caveats</h2>
 *
 * <ul>
 *   <li>The analysis assumes <em>Poisson</em> subsampling: each eligible node joins a round
 *       independently with probability {@code q}, and neighbouring datasets differ by adding or
 *       removing one node. fedbase's coordinator instead selects a fixed number of nodes; using
 *       {@code q = selected/eligible} in the Poisson analysis is common practice (TF Privacy,
 *       Opacus and most DP-FedAvg papers report it) but is not a proof for sampling without
 *       replacement: that is usually analysed under replace-one adjacency (Wang, Balle and
 *       Kasiviswanathan 2019), with different and generally larger bounds. Treat the ε as the
 *       conventional figure under that stated assumption, not a certificate for fixed-size
 *       selection.
 *   <li>ε is an upper bound from a finite list of orders; an optimum at an end of the list means
 *       a wider list may tighten it. Fewer orders never make the bound invalid, only looser.
 *   <li>Noise multiplier {@code σ = 0} (no noise) gives RDP and ε of {@code +∞}; zero rounds give
 *       RDP 0 and ε = 0 (nothing was released; see {@link RdpConversion} for the (0, δ) bound
 *       that yields it).
 *   <li>The fractional-order series stops on a relative criterion that bounds the truncation
 *       error (see {@code logAFractional}). The reference implementations stop on an absolute
 *       one that can end the series before its bulk when {@code q^α} is tiny (e.g. q = 0.5,
 *       σ = 50, α = 63.5, where they return a negative RDP); elsewhere the two agree within rounding
 *       (under 1e-11 absolute over a grid of q, σ and α).
 * </ul>
 *
 * <h2>Defaults</h2>
 *
 * Orders: {@link #defaultOrders()} is TF Privacy's {@code compute_dp_sgd_privacy} list
 * {@code [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5] + range(5, 64) + [128, 256, 512]};
 * {@link #opacusOrders()} is Opacus' {@code RDPAccountant.DEFAULT_ALPHAS}
 * {@code [1 + x/10 for x in 1..99] + range(12, 64)} (also TF Privacy's tutorial list). Conversion:
 * {@link RdpConversion#IMPROVED} (Balle et al. 2020, as Opacus), which is tighter than
 * {@link RdpConversion#CLASSIC} at every order.
 */
public final class RdpAccountant {

  private static final double[] DEFAULT_ORDERS = tfPrivacyOrders();
  private static final double[] OPACUS_ORDERS = opacusDefaultAlphas();
  private static final double LOG_HALF = Math.log(0.5);
  private static final double SQRT2 = Math.sqrt(2.0);
  /**
   * The fractional-order series stops once its terms fall below e^-30 ≈ 1e-13 of the sum (the
   * reference's constant, but relative): an error of ~1e-13/(α−1) in the RDP of a round.
   */
  private static final double NEGLIGIBLE_LOG_TERM = -30.0;
  /** log A_α below this is not rounding noise around A_α = 1 but a failed computation. */
  private static final double LOG_A_FLOOR = -1e-9;
  /** A fractional-order series that has not converged after this many terms is reported. */
  private static final int MAX_FRACTIONAL_TERMS = 50_000_000;

  private RdpAccountant() {}

  /** TF Privacy's {@code compute_dp_sgd_privacy} orders (72 values, 1.25 … 512); a fresh copy. */
  public static double[] defaultOrders() {
    return DEFAULT_ORDERS.clone();
  }

  /** Opacus' default orders (151 values, 1.1 … 63), also TF Privacy's tutorial list; a copy. */
  public static double[] opacusOrders() {
    return OPACUS_ORDERS.clone();
  }

  // ---------------------------------------------------------------------------------------------
  // RDP of the sampled Gaussian mechanism
  // ---------------------------------------------------------------------------------------------

  /**
   * RDP at {@code order} of one round of the sampled Gaussian mechanism.
   *
   * @param q sampling rate in (0, 1]
   * @param noiseMultiplier σ: noise standard deviation over the L2 clipping bound, finite and ≥ 0
   * @param order Rényi order α &gt; 1, possibly {@code +∞}
   * @return RDP ≥ 0; {@code +∞} if σ = 0 or α = +∞
   */
  public static double rdp(double q, double noiseMultiplier, double order) {
    checkSamplingRate(q);
    checkNoiseMultiplier(noiseMultiplier);
    checkOrder(order);
    return rdpUnchecked(q, noiseMultiplier, order);
  }

  /**
   * RDP at each order of {@code steps} rounds of the sampled Gaussian mechanism with the same
   * {@code (q, σ)}: {@code steps} times the one-round RDP (RDP composes additively).
   *
   * @param steps rounds, ≥ 0; 0 gives all zeros whatever σ
   */
  public static double[] rdp(double q, double noiseMultiplier, long steps, double[] orders) {
    checkSamplingRate(q);
    checkNoiseMultiplier(noiseMultiplier);
    checkSteps(steps);
    checkOrders(orders);
    double[] out = new double[orders.length];
    if (steps == 0) {
      return out;
    }
    for (int k = 0; k < orders.length; k++) {
      out[k] = rdpUnchecked(q, noiseMultiplier, orders[k]) * steps;
    }
    return out;
  }

  static double rdpUnchecked(double q, double sigma, double order) {
    if (sigma == 0.0) {
      return Double.POSITIVE_INFINITY;
    }
    if (q == 1.0) {
      return order / (2.0 * sigma * sigma);
    }
    if (order == Double.POSITIVE_INFINITY) {
      return Double.POSITIVE_INFINITY;
    }
    double logA = isInteger(order) ? logAInteger(q, sigma, (long) order) : logAFractional(q, sigma, order);
    // A_α ≥ 1 in exact arithmetic (it is E[(μ/μ0)^α] ≥ E[μ/μ0]^α = 1): clear rounding noise below
    // 0, but refuse a clearly negative result rather than report too little privacy loss
    if (!(logA >= LOG_A_FLOOR)) {
      throw new ArithmeticException(
          "RDP computation lost precision for q=" + q + ", σ=" + sigma + ", α=" + order + " (log A = " + logA + ")");
    }
    return Math.max(0.0, logA / (order - 1));
  }

  private static boolean isInteger(double order) {
    return order == Math.rint(order) && order < 1e15;
  }

  /**
   * {@code log A_α} for integer α by the binomial expansion
   * {@code A_α = Σ_{i=0..α} C(α, i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²))}.
   */
  private static double logAInteger(double q, double sigma, long alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2.0 * sigma * sigma;
    double logBinom = 0.0; // log C(alpha, 0)
    double logA = Double.NEGATIVE_INFINITY;
    for (long i = 0; i <= alpha; i++) {
      if (i > 0) {
        logBinom += Math.log((double) (alpha - i + 1) / i);
      }
      double di = i;
      double term = logBinom + di * logQ + (alpha - di) * log1mQ + (di * di - di) / twoSigma2;
      logA = LogMath.add(logA, term);
    }
    return logA;
  }

  /**
   * {@code log A_α} for fractional α: the integral split at {@code z0 = σ² log(1/q − 1) + 1/2},
   * each half expanded in a generalised binomial series whose terms carry an erfc factor; the
   * coefficients C(α, i) alternate in sign once i exceeds α, so terms are added or subtracted in
   * log space.
   *
   * <p>With {@code L = log(1/q − 1)} and {@code h(x) = e^(x²)·erfc(x)}, which is decreasing on
   * the whole real line, the i-th terms are exactly {@code log|C(α,i)| + α·log(1−q) − z0²/(2σ²)
   * + log(h(x)/2)} with {@code x = (i − z0)/(√2σ)} and {@code x = (z0 − α + i)/(√2σ)}: both
   * shrink with i as soon as |C(α, i)| does, i.e. for i ≥ (α − 1)/2. Hence the stopping rule.
   */
  private static double logAFractional(double q, double sigma, double alpha) {
    double logQ = Math.log(q);
    double log1mQ = Math.log1p(-q);
    double twoSigma2 = 2.0 * sigma * sigma;
    double z0 = sigma * sigma * (log1mQ - logQ) + 0.5;
    double erfcScale = SQRT2 * sigma;
    double logA0 = Double.NEGATIVE_INFINITY;
    double logA1 = Double.NEGATIVE_INFINITY;
    double logAbsCoef = 0.0; // |C(alpha, 0)| = 1
    boolean positive = true;
    for (int i = 0; ; i++) {
      if (i > 0) {
        double ratio = (alpha - (i - 1)) / i; // C(α, i) = C(α, i−1) · (α − i + 1) / i
        logAbsCoef += Math.log(Math.abs(ratio));
        if (ratio < 0) {
          positive = !positive;
        }
      }
      double j = alpha - i;
      double logT0 = logAbsCoef + i * logQ + j * log1mQ;
      double logT1 = logAbsCoef + j * logQ + i * log1mQ;
      double logE0 = LOG_HALF + LogMath.logErfc((i - z0) / erfcScale);
      double logE1 = LOG_HALF + LogMath.logErfc((z0 - j) / erfcScale);
      double logS0 = logT0 + ((double) i * i - i) / twoSigma2 + logE0;
      double logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
      if (positive) {
        logA0 = LogMath.add(logA0, logS0);
        logA1 = LogMath.add(logA1, logS1);
      } else {
        logA0 = LogMath.sub(logA0, logS0);
        logA1 = LogMath.sub(logA1, logS1);
      }
      // Past i = ⌈α⌉ both series alternate in sign with strictly decreasing magnitudes (see the
      // method doc), so each remainder is below the last term: stop once that is negligible
      // relative to the total. (The reference stops on an absolute e^-30 from i = 0 on, which
      // ends the series before its bulk when q^α is tiny, e.g. q = 0.5, σ = 50, α = 63.5.)
      if (i > alpha && Math.max(logS0, logS1) < LogMath.add(logA0, logA1) + NEGLIGIBLE_LOG_TERM) {
        break;
      }
      if (i >= MAX_FRACTIONAL_TERMS) {
        throw new ArithmeticException(
            "RDP series for q=" + q + ", σ=" + sigma + ", α=" + alpha + " did not converge");
      }
    }
    return LogMath.add(logA0, logA1);
  }

  // ---------------------------------------------------------------------------------------------
  // RDP -> (ε, δ)
  // ---------------------------------------------------------------------------------------------

  /** {@link #spent(double[], double[], double, RdpConversion)} with the improved conversion. */
  public static PrivacySpent spent(double[] orders, double[] rdp, double delta) {
    return spent(orders, rdp, delta, RdpConversion.IMPROVED);
  }

  /**
   * The smallest ε over the orders at which {@code rdp} was computed, at the given δ.
   *
   * @param orders orders α &gt; 1 (possibly +∞)
   * @param rdp RDP at each order, ≥ 0 (possibly +∞), same length
   * @param delta δ in (0, 1)
   * @return ε and the order achieving it (the first such order on ties; {@code NaN} if ε is
   *     infinite at every order)
   */
  public static PrivacySpent spent(double[] orders, double[] rdp, double delta, RdpConversion conversion) {
    checkOrders(orders);
    checkDelta(delta);
    if (conversion == null) {
      throw new IllegalArgumentException("conversion must not be null");
    }
    if (rdp == null || rdp.length != orders.length) {
      throw new IllegalArgumentException(
          "need one RDP value per order: " + orders.length + " orders, "
              + (rdp == null ? "null" : rdp.length + " values"));
    }
    double best = Double.POSITIVE_INFINITY;
    double bestOrder = Double.NaN;
    for (int k = 0; k < orders.length; k++) {
      if (Double.isNaN(rdp[k]) || rdp[k] < 0) {
        throw new IllegalArgumentException("RDP must be ≥ 0, got " + rdp[k] + " at order " + orders[k]);
      }
      double eps = conversion.epsilon(orders[k], rdp[k], delta);
      if (eps < best) {
        best = eps;
        bestOrder = orders[k];
      }
    }
    return new PrivacySpent(best, delta, bestOrder);
  }

  /**
   * (ε, δ) after {@code steps} rounds at {@code (q, σ)}, over {@link #defaultOrders()} with the
   * improved conversion.
   */
  public static PrivacySpent spent(double q, double noiseMultiplier, long steps, double delta) {
    return spent(DEFAULT_ORDERS, rdp(q, noiseMultiplier, steps, DEFAULT_ORDERS), delta);
  }

  // ---------------------------------------------------------------------------------------------
  // Calibration and budgets
  // ---------------------------------------------------------------------------------------------

  /**
   * The smallest noise multiplier (to a relative 1e-7, rounded up) such that {@code rounds}
   * rounds at sampling rate {@code q} stay within {@code (targetEpsilon, delta)}, over
   * {@link #defaultOrders()} with the improved conversion. Found by bisection, ε being decreasing
   * in σ.
   *
   * <p>The RDP conversion alone costs a positive ε (about 0.0084 at δ = 1e-5 over the default
   * orders); targets below that are met only through the (0, δ) bound of {@link RdpConversion},
   * i.e. with absurdly large σ.
   *
   * @return σ ≥ 0; 0 when {@code rounds == 0} (nothing is released, no noise needed)
   * @throws IllegalArgumentException on invalid inputs, or when the target needs σ above 1e7
   */
  public static double noiseMultiplierFor(double targetEpsilon, double delta, double q, long rounds) {
    return noiseMultiplierFor(targetEpsilon, delta, q, rounds, DEFAULT_ORDERS, RdpConversion.IMPROVED);
  }

  /** As {@link #noiseMultiplierFor(double, double, double, long)} over the given orders and conversion. */
  public static double noiseMultiplierFor(
      double targetEpsilon, double delta, double q, long rounds, double[] orders, RdpConversion conversion) {
    if (!(targetEpsilon > 0) || Double.isInfinite(targetEpsilon)) {
      throw new IllegalArgumentException("target epsilon must be finite and > 0, got " + targetEpsilon);
    }
    checkDelta(delta);
    checkSamplingRate(q);
    checkSteps(rounds);
    checkOrders(orders);
    if (rounds == 0) {
      return 0.0;
    }
    double[] ords = orders.clone();
    double hi = 1.0;
    while (epsilonAt(hi, q, rounds, ords, delta, conversion) > targetEpsilon) {
      hi *= 2.0;
      if (hi > 1e7) {
        throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
            "ε = %s at δ = %s is out of reach for q = %s over %d rounds with these orders, "
                + "whatever the noise multiplier", targetEpsilon, delta, q, rounds));
      }
    }
    double lo = 0.0; // σ = 0 gives ε = +∞ > target
    while (hi - lo > 1e-7 * hi) {
      double mid = 0.5 * (lo + hi);
      if (epsilonAt(mid, q, rounds, ords, delta, conversion) > targetEpsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  private static double epsilonAt(double sigma, double q, long rounds, double[] orders, double delta,
      RdpConversion conversion) {
    return spent(orders, rdp(q, sigma, rounds, orders), delta, conversion).epsilon();
  }

  /**
   * How many rounds at {@code (q, σ)} can run from scratch without ε at δ exceeding
   * {@code budgetEpsilon} (default orders, improved conversion); {@link Long#MAX_VALUE} when
   * unbounded for practical purposes. See {@link PrivacyLedger#roundsWithin} to count from a
   * ledger of rounds already run.
   */
  public static long roundsWithin(double budgetEpsilon, double delta, double q, double noiseMultiplier) {
    return PrivacyLedger.empty().roundsWithin(budgetEpsilon, delta, q, noiseMultiplier);
  }

  /**
   * The largest n ≥ 0 with ε(spentRdp + n·perRound) ≤ budget. At one order α, ε ≤ budget holds
   * iff the RDP r is at most {@code budget − offset_α} or at most the zero-ε threshold, both
   * thresholds on r, which grows linearly in n; ε is the minimum over orders, so the answer is the
   * largest of the per-order counts. May be off by one from rounding; callers verify.
   */
  static long roundsWithinEstimate(double[] orders, double[] spentRdp, double[] perRound, double budget,
      double delta, RdpConversion conversion) {
    if (spent(orders, spentRdp, delta, conversion).epsilon() > budget) {
      return 0;
    }
    double zeroEps = RdpConversion.zeroEpsilonRdp(delta);
    double best = 0.0;
    for (int k = 0; k < orders.length; k++) {
      double r0 = spentRdp[k];
      double r1 = perRound[k];
      if (r0 == Double.POSITIVE_INFINITY || r1 == Double.POSITIVE_INFINITY) {
        continue;
      }
      double offset = orders[k] == Double.POSITIVE_INFINITY ? 0.0 : conversion.offset(orders[k], delta);
      double limit = Math.max(budget - offset, zeroEps); // the largest RDP with ε ≤ budget here
      if (r1 == 0.0) {
        if (r0 <= limit) {
          return Long.MAX_VALUE;
        }
        continue;
      }
      double n = Math.floor((limit - r0) / r1);
      if (n > best) {
        best = n;
      }
    }
    return best >= 0x1p62 ? Long.MAX_VALUE : (long) best;
  }

  // ---------------------------------------------------------------------------------------------
  // Validation
  // ---------------------------------------------------------------------------------------------

  static void checkSamplingRate(double q) {
    if (!(q > 0 && q <= 1)) {
      throw new IllegalArgumentException("sampling rate q must be in (0, 1], got " + q);
    }
  }

  static void checkNoiseMultiplier(double sigma) {
    if (!(sigma >= 0) || Double.isInfinite(sigma)) {
      throw new IllegalArgumentException(
          "noise multiplier must be finite and ≥ 0 (0 = no noise, ε = ∞), got " + sigma);
    }
  }

  static void checkDelta(double delta) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), got " + delta);
    }
  }

  static void checkSteps(long steps) {
    if (steps < 0) {
      throw new IllegalArgumentException("steps (rounds) must be ≥ 0, got " + steps);
    }
  }

  static void checkOrder(double order) {
    if (!(order > 1)) {
      throw new IllegalArgumentException("Rényi order must be > 1 (or +∞), got " + order);
    }
  }

  static void checkOrders(double[] orders) {
    if (orders == null || orders.length == 0) {
      throw new IllegalArgumentException("need at least one Rényi order");
    }
    for (double order : orders) {
      checkOrder(order);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Order lists
  // ---------------------------------------------------------------------------------------------

  private static double[] tfPrivacyOrders() {
    double[] head = {1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5};
    double[] out = Arrays.copyOf(head, head.length + 59 + 3);
    int k = head.length;
    for (int a = 5; a < 64; a++) {
      out[k++] = a;
    }
    out[k++] = 128;
    out[k++] = 256;
    out[k] = 512;
    return out;
  }

  private static double[] opacusDefaultAlphas() {
    double[] out = new double[99 + 52];
    int k = 0;
    for (int x = 1; x < 100; x++) {
      out[k++] = 1 + x / 10.0; // same IEEE values as Python's 1 + x / 10.0
    }
    for (int a = 12; a < 64; a++) {
      out[k++] = a;
    }
    return out;
  }
}
