package io.fedbase.node.train;

/**
 * One finished epoch: mean minibatch loss and accuracy (with drop-path and cutout), held-out loss
 * and accuracy with running statistics, the learning rate at its end and its wall time.
 */
public record EpochRecord(
    int epoch, double trainLoss, double trainAccuracy, double heldOutLoss, double heldOutAccuracy, double learningRate, double seconds) {}
