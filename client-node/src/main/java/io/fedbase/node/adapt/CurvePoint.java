package io.fedbase.node.adapt;

/** One point of an adaptation curve: step, minibatch loss, and held-out loss/accuracy (NaN if not evaluated). */
public record CurvePoint(int step, double trainLoss, double heldOutLoss, double heldOutAccuracy) {}
