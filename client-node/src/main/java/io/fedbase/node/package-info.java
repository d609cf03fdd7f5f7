/**
 * The client node: joins a federation, adapts the prior on private tasks and uploads the delta.
 *
 * <p>The runtime arrives with the federation issue; it reuses {@code io.fedbase.learn.InnerLoop}
 * unchanged, so a node computes exactly what the local {@code meta-train} command computes.
 */
package io.fedbase.node;
