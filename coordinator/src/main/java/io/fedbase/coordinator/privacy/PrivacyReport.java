package io.fedbase.coordinator.privacy;

import io.fedbase.privacy.PrivacyLedger;
import io.fedbase.privacy.PrivacySpent;

/**
 * What a committed prior version cost in privacy, as its manifest, GetStatus and the bundle's
 * metadata report it: every round so far in {@code ledger}, and the (ε, δ) they add up to.
 *
 * @param mode central or distributed
 * @param epsilon ε at {@code delta} for every node's whole contribution so far
 * @param order the Rényi order at which ε was tightest
 * @param budgetEpsilon the budget rounds stop at; null when there is none (JSON has no infinity)
 * @param noiseMultiplier the configured σ
 * @param roundNoiseMultiplier σ this version's round really had (distributed: fewer shares if nodes dropped)
 * @param samplingRate q of this version's round
 */
public record PrivacyReport(
    String mode,
    double epsilon,
    double delta,
    double order,
    Double budgetEpsilon,
    double noiseMultiplier,
    double roundNoiseMultiplier,
    double samplingRate,
    double weightClip,
    double logitClip,
    PrivacyLedger ledger) {

  /** The report after {@code ledger}'s rounds under {@code settings}. */
  public static PrivacyReport of(PrivacySettings settings, PrivacyLedger ledger, double roundNoiseMultiplier, double samplingRate) {
    PrivacySpent spent = ledger.spent(settings.delta());
    return new PrivacyReport(
        settings.mode().key(),
        spent.epsilon(),
        settings.delta(),
        spent.order(),
        settings.hasBudget() ? settings.budgetEpsilon() : null,
        settings.noiseMultiplier(),
        roundNoiseMultiplier,
        samplingRate,
        settings.weightClip(),
        settings.logitClip(),
        ledger);
  }

  /** Committed rounds the ε accounts for. */
  public long rounds() {
    return ledger.rounds();
  }
}
