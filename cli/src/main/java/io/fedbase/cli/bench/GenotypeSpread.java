package io.fedbase.cli.bench;

import org.apache.commons.math3.distribution.FDistribution;

/**
 * How far the genotypes of a search space differ from each other once trained, against how far
 * one genotype differs from itself across training seeds: a randomized block analysis of variance
 * (genotypes × seeds; every genotype trained once per seed, on that seed's data split and
 * initialisation, so the seed is a block). Only if the genotypes' differences stand out of the
 * seeds' noise can a found genotype be told from random ones in that space at that budget.
 *
 * @param genotypes how many genotypes
 * @param seeds how many seeds (blocks)
 * @param means each genotype's mean over the seeds
 * @param grandMean the mean of all runs
 * @param betweenSd standard deviation of the genotype means (sample, n - 1)
 * @param noiseSd the residual standard deviation: one run's noise once genotype and seed are known
 * @param f the F statistic of the genotype effect
 * @param p its p-value (upper tail of F with (genotypes - 1, (genotypes - 1)(seeds - 1)) degrees of freedom)
 */
public record GenotypeSpread(int genotypes, int seeds, double[] means, double grandMean, double betweenSd, double noiseSd, double f, double p) {

  /**
   * The analysis of {@code accuracy[genotype][seed]}; needs at least two genotypes and two seeds.
   */
  public static GenotypeSpread of(double[][] accuracy) {
    int g = accuracy.length;
    if (g < 2) {
      throw new IllegalArgumentException("the spread of a space needs at least two genotypes, got " + g);
    }
    int s = accuracy[0].length;
    for (double[] row : accuracy) {
      if (row.length != s) {
        throw new IllegalArgumentException("every genotype needs a run for every seed");
      }
    }
    if (s < 2) {
      throw new IllegalArgumentException("the spread of a space needs at least two seeds, got " + s);
    }
    double grand = 0;
    double[] genotypeMeans = new double[g];
    double[] seedMeans = new double[s];
    for (int i = 0; i < g; i++) {
      for (int j = 0; j < s; j++) {
        genotypeMeans[i] += accuracy[i][j] / s;
        seedMeans[j] += accuracy[i][j] / g;
        grand += accuracy[i][j] / (g * s);
      }
    }
    double ssGenotypes = 0;
    for (double m : genotypeMeans) {
      ssGenotypes += s * (m - grand) * (m - grand);
    }
    double ssResidual = 0;
    for (int i = 0; i < g; i++) {
      for (int j = 0; j < s; j++) {
        double r = accuracy[i][j] - genotypeMeans[i] - seedMeans[j] + grand;
        ssResidual += r * r;
      }
    }
    int dfGenotypes = g - 1;
    int dfResidual = (g - 1) * (s - 1);
    double msGenotypes = ssGenotypes / dfGenotypes;
    double msResidual = ssResidual / dfResidual;
    double f = msResidual == 0 ? (msGenotypes == 0 ? 0 : Double.POSITIVE_INFINITY) : msGenotypes / msResidual;
    double p = Double.isInfinite(f) ? 0 : 1 - new FDistribution(dfGenotypes, dfResidual).cumulativeProbability(f);
    return new GenotypeSpread(g, s, genotypeMeans, grand, Math.sqrt(ssGenotypes / s / dfGenotypes), Math.sqrt(msResidual), f, p);
  }

  /** Whether the genotypes differ by more than the seeds' noise explains, at the 5% level. */
  public boolean widerThanNoise() {
    return p < 0.05;
  }

  /**
   * The bar a found genotype's mean must reach to count as better than this space's random ones:
   * their mean plus one standard deviation of their means.
   */
  public double bar() {
    return grandMean + betweenSd;
  }
}
