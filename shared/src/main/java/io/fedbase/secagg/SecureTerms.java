package io.fedbase.secagg;

/**
 * What a node must know to take part in a secure round: how many participants must remain (and
 * shares reconstruct a secret), and the L2 bound it clips its delta to.
 */
public record SecureTerms(int threshold, float clip) {}
