package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for ops that autograd records. DJL's {@code mul(Number)} and friends wrap the
 * number in a tensor over a Java direct buffer and close it as soon as the op returns, but autograd
 * keeps that tensor for the backward pass: once the garbage collector frees the buffer, backward
 * reads freed memory (seen here as sporadic NaN priors). A scalar made by the engine owns its
 * storage and lives in {@code scope} until the scope closes, after backward.
 */
public final class Scalars {

  private Scalars() {}

  /** A 0-d array holding {@code value}, allocated by the engine and owned by {@code scope}. */
  public static NDArray of(NDManager scope, float value) {
    return scope.full(new Shape(), value);
  }
}
