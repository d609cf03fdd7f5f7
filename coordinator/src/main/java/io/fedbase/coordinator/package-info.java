/**
 * The coordinator: holds the prior, runs rounds and turns node deltas into the meta-update.
 *
 * <p>{@code round} is the round engine (phases, timers, membership, admission, the strategy seam,
 * the committer); {@code strategy} holds the algorithms (plain, secure, private); {@code aggregate}
 * receives, validates and folds uploads; {@code secure} and {@code privacy} are secure aggregation's
 * protocol and differential privacy's pieces; {@code store} keeps committed priors durable;
 * {@code transport} maps the gRPC protocol onto those and holds no domain logic. The meta-update
 * rule itself lives in {@code io.fedbase.learn}, shared with the local outer loop. See
 * docs/ARCHITECTURE.md.
 */
package io.fedbase.coordinator;
