package io.fedbase.node.transport;

import io.fedbase.bundle.Bundle;
import io.fedbase.encoding.DeltaEncoding;

/**
 * A node's delta for one round with what the header declares about it; {@code encoding} is how it
 * travels and {@code roundingSeed} seeds its stochastic rounding (fixed per round, so a retry sends
 * the same bytes).
 */
public record UpdateUpload(
    long round,
    String nodeId,
    long priorVersion,
    int taskCount,
    Bundle delta,
    double supportLossBefore,
    double supportLossAfter,
    double queryAccuracy,
    DeltaEncoding encoding,
    long roundingSeed) {}
