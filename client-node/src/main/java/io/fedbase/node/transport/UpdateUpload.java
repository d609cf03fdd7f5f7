package io.fedbase.node.transport;

import io.fedbase.bundle.Bundle;

/**
 * A node's delta for one round with what the header declares about it.
 */
public record UpdateUpload(
    long round,
    String nodeId,
    long priorVersion,
    int taskCount,
    Bundle delta,
    double supportLossBefore,
    double supportLossAfter,
    double queryAccuracy) {}
