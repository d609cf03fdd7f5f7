package io.fedbase.coordinator.aggregate;

import java.nio.file.Path;

/**
 * A fully received and validated upload waiting on disk to be folded into the round's sum.
 *
 * @param header what the node declared
 * @param file the payload (float32 little-endian), deleted once merged or discarded
 * @param values number of floats in the payload
 * @param weightNorm L2 norm of the weight part of the delta
 * @param logitNorm L2 norm of the logit part of the delta
 * @param sha256 hex SHA-256 of the payload bytes (verified against the trailer)
 */
public record StagedUpdate(UpdateHeaderFields header, Path file, int values, double weightNorm, double logitNorm, String sha256) {}
