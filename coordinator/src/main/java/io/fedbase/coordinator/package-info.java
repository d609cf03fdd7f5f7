/**
 * The coordinator: holds the prior, runs rounds and turns node deltas into the meta-update.
 *
 * <p>{@code round} is the round state machine, {@code aggregate} receives, validates and folds
 * uploads into the running sum, {@code store} keeps committed priors durable, {@code transport}
 * maps the gRPC protocol onto those and holds no domain logic. The meta-update rule itself lives in
 * {@code io.fedbase.learn}, shared with the local outer loop.
 */
package io.fedbase.coordinator;
