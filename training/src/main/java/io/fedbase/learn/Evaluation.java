package io.fedbase.learn;

/** Mean cross-entropy and accuracy of a network on a labelled batch. */
public record Evaluation(double loss, double accuracy, int examples) {}
