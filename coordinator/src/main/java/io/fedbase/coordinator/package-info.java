/**
 * The coordinator: holds the prior, runs rounds and turns node deltas into the meta-update.
 *
 * <p>Its gRPC services, round state machine, streaming aggregation and checkpoint store arrive with
 * the federation issue; the meta-update rule it will apply already lives in {@code
 * io.fedbase.learn} so that the local and the federated outer loop share one implementation.
 */
package io.fedbase.coordinator;
