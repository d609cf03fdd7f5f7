/**
 * The client node: joins a federation, adapts the prior on private tasks and uploads the delta.
 *
 * <p>{@code runtime} is the node's loop (join, watch, fetch, adapt, submit, reconnect) and its
 * prior cache; {@code adapt} fits a prior to a user's whole dataset ({@code fedbase adapt});
 * {@code train} trains a genotype's derived network, checkpoints it, saves and scores the model
 * ({@code fedbase train} / {@code evaluate}); {@code metrics} exports the node's Prometheus metrics; {@code transport} talks gRPC to the
 * coordinator and holds no domain logic. The
 * adaptation itself is {@code io.fedbase.learn.TaskBatch}, the same code the local
 * {@code meta-train} command runs.
 */
package io.fedbase.node;
