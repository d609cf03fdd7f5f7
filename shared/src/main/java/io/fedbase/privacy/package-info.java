/**
 * Differential-privacy accounting for federation rounds: a Rényi-DP accountant for the
 * Poisson-subsampled Gaussian mechanism ({@link io.fedbase.privacy.RdpAccountant}), the ledger of
 * rounds it reads ({@link io.fedbase.privacy.PrivacyLedger}) and the (ε, δ) it reports
 * ({@link io.fedbase.privacy.PrivacySpent}). The guarantee is client-level: q is the fraction of
 * eligible nodes sampled in a round, σ the noise standard deviation over the per-node L2 clipping
 * bound. See {@link io.fedbase.privacy.RdpAccountant} for what the numbers mean and the Poisson
 * sampling assumption.
 */
package io.fedbase.privacy;
