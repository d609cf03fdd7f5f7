package io.fedbase.coordinator.aggregate;

import io.fedbase.encoding.DeltaEncoding;
import java.util.Optional;

/**
 * What an upload declares before its payload (the domain side of the wire's UpdateHeader).
 *
 * @param round round number the delta belongs to
 * @param nodeId uploading node
 * @param priorVersion prior version the delta was taken against
 * @param taskCount tasks the delta averages over (its aggregation weight)
 * @param specHash model the delta belongs to
 * @param encoding how the payload encodes the delta; empty when the node named one this coordinator does not know
 * @param payloadBytes declared payload length
 * @param supportLossBefore node-reported mean support loss before adaptation
 * @param supportLossAfter node-reported mean support loss after adaptation
 * @param queryAccuracy node-reported mean query accuracy after adaptation
 */
public record UpdateHeaderFields(
    long round,
    String nodeId,
    long priorVersion,
    int taskCount,
    String specHash,
    Optional<DeltaEncoding> encoding,
    long payloadBytes,
    double supportLossBefore,
    double supportLossAfter,
    double queryAccuracy) {}
