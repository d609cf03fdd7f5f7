package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.util.List;

/**
 * The DARTS building blocks as pure functions of an input and its weights. Every result is
 * attached to the input's manager, so a forward in a step scope leaves nothing behind.
 */
final class SupernetOps {

  static final float BN_EPS = 1e-5f;

  private SupernetOps() {}

  /** Bias-free 2-D convolution. */
  static NDArray conv(NDArray x, NDArray w, int stride, int padding, int dilation, int groups) {
    return Conv2d.conv2d(
            x,
            w,
            null,
            new Shape(stride, stride),
            new Shape(padding, padding),
            new Shape(dilation, dilation),
            groups)
        .singletonOrThrow();
  }

  /**
   * BatchNorm; with null gamma/beta the affine part is the identity (cells use no affine BN). The
   * scope's regime decides: batch statistics and no state (the supernet: BASE adapts with batch
   * stats only), batch statistics while updating running ones (training a derived network), or the
   * running ones (inference).
   */
  static NDArray batchNorm(ForwardScope scope, NDArray x, NDArray gamma, NDArray beta) {
    long channels = x.getShape().get(1);
    NDArray[] c = scope.batchNormConstants(channels);
    NDArray[] running = scope.nextRunningStatistics(channels);
    NDArray mean = running == null ? c[2] : running[0];
    NDArray variance = running == null ? c[3] : running[1];
    // axis -1 selects the engine's native NCHW path (axis 1) without DJL's swap-axes detour
    return BatchNorm.batchNorm(
            x, mean, variance, gamma == null ? c[0] : gamma, beta == null ? c[1] : beta, -1, scope.batchNormMomentum(), BN_EPS,
            scope.normalisesWithBatch())
        .singletonOrThrow();
  }

  /**
   * A convolution whose every output channel reads every input channel of its task: one group per
   * task stacked along the channels, so stacked tasks never mix.
   */
  static NDArray denseConv(ForwardScope scope, NDArray x, NDArray w, int stride, int padding) {
    return conv(x, w, stride, padding, 1, scope.tasks());
  }

  /** ReLU -> 1x1 conv -> BN, DARTS' cell-input preprocessing. */
  static NDArray reluConvBn(ForwardScope scope, NDArray x, NDArray w) {
    return batchNorm(scope, denseConv(scope, Activation.relu(x), w, 1, 0), null, null);
  }

  /**
   * ReLU, two stride-2 1x1 convs (the second on the input shifted by one pixel), concat, BN. On odd
   * sizes the shift would give mismatched outputs, so (as in MetaNAS) the second conv is unshifted.
   */
  static NDArray factorizedReduce(ForwardScope scope, NDArray x, NDArray w1, NDArray w2) {
    NDArray r = Activation.relu(x);
    Shape s = x.getShape();
    boolean even = s.get(2) % 2 == 0 && s.get(3) % 2 == 0;
    NDArray shifted = even ? r.get(new NDIndex(":, :, 1:, 1:")) : r;
    NDArray a = denseConv(scope, r, w1, 2, 0);
    NDArray b = denseConv(scope, shifted, w2, 2, 0);
    return batchNorm(scope, scope.concatChannels(List.of(a, b)), null, null);
  }

  /** ReLU -> depthwise kxk (stride, dilation) -> pointwise 1x1 -> BN; the depthwise groups cover stacked tasks by themselves. */
  static NDArray dilConv(ForwardScope scope, NDArray x, NDArray dw, NDArray pw, int stride, int dilation) {
    return activatedDilConv(scope, Activation.relu(x), dw, pw, stride, dilation);
  }

  /** {@link #dilConv} of an input that already went through the ReLU. */
  static NDArray activatedDilConv(ForwardScope scope, NDArray reluX, NDArray dw, NDArray pw, int stride, int dilation) {
    int k = (int) dw.getShape().get(2);
    int channels = (int) dw.getShape().get(0);
    int padding = dilation * (k - 1) / 2;
    NDArray h = conv(reluX, dw, stride, padding, dilation, channels);
    return batchNorm(scope, denseConv(scope, h, pw, 1, 0), null, null);
  }

  /** Two dilation-1 {@link #dilConv} blocks of an input that already went through the ReLU; only the first carries the stride. */
  static NDArray activatedSepConv(ForwardScope scope, NDArray reluX, NDArray dw1, NDArray pw1, NDArray dw2, NDArray pw2, int stride) {
    return dilConv(scope, activatedDilConv(scope, reluX, dw1, pw1, stride, 1), dw2, pw2, 1, 1);
  }

  /** 3x3 max pool, padding 1. */
  static NDArray maxPool(NDArray x, int stride) {
    return Pool.maxPool2d(x, new Shape(3, 3), new Shape(stride, stride), new Shape(1, 1), false);
  }

  /**
   * 3x3 average pool, padding 1, padding not counted in the mean (DARTS' count_include_pad=False).
   * DJL 0.36's PyTorch binding drops the count_include_pad flag, so the padded mean is divided by
   * the share of real pixels under each window (the same pool applied to ones).
   */
  static NDArray avgPool(ForwardScope scope, NDArray x, int stride) {
    NDArray padded = averagePoolCountingPadding(x, stride);
    Shape s = x.getShape();
    return padded.div(scope.avgPoolCoverage(s.get(2), s.get(3), stride));
  }

  static NDArray averagePoolCountingPadding(NDArray x, int stride) {
    return Pool.avgPool2d(x, new Shape(3, 3), new Shape(stride, stride), new Shape(1, 1), false, true);
  }

  /** The zero operation: zeros of the strided output shape (subsample first, as DARTS does). */
  static NDArray zero(NDArray x, int stride) {
    NDArray sub = stride == 1 ? x : x.get(new NDIndex(":, :, ::" + stride + ", ::" + stride));
    return sub.mul(Scalars.of(sub.getManager(), 0f));
  }
}
