package io.fedbase.supernet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.genotype.Genotype;
import io.fedbase.space.CellPlan;
import io.fedbase.space.Operation;
import io.fedbase.space.StemSpec;
import io.fedbase.space.TensorNames;
import io.fedbase.space.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Forward pass of a genotype's discrete network: the supernet's stem and cell skeleton with two
 * fixed operations per node and no architecture weights. Stateless like {@link Supernet}: running
 * BN statistics, when kept, travel in the {@link ForwardRegime}.
 */
public final class DerivedNetwork {

  private final DerivedNetworkSpec spec;

  public DerivedNetwork(DerivedNetworkSpec spec) {
    this.spec = spec;
  }

  public DerivedNetworkSpec spec() {
    return spec;
  }

  /** The bundle layout of this network's weights. */
  public BundleLayout layout() {
    return new BundleLayout(spec.hash(), spec.tensors());
  }

  /** Fresh weights, initialised like the supernet's. */
  public Bundle initialize(long seed) {
    BundleLayout layout = layout();
    float[] values = new float[layout.totalSize()];
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < layout.tensors().size(); i++) {
      TensorSpec t = layout.tensors().get(i);
      float[] v = ParameterInitializer.initializeTensor(t, rng.nextLong());
      System.arraycopy(v, 0, values, layout.offset(i), v.length);
    }
    return Bundle.of(layout, values);
  }

  /**
   * Class logits [B, ways] for images [B, C, H, W], normalised with the batch's statistics; results
   * belong to {@code scope}.
   */
  public NDArray forward(ParameterSet params, NDArray images, NDManager scope) {
    return forward(params, images, ForwardRegime.BATCH_STATISTICS, scope);
  }

  /** Class logits [B, ways] for images [B, C, H, W] under {@code regime}; results belong to {@code scope}. */
  public NDArray forward(ParameterSet params, NDArray images, ForwardRegime regime, NDManager scope) {
    StemSpec stem =
        spec.frame()
            .stemFor(Supernet.signatureOf(images))
            .orElseThrow(() -> new IllegalArgumentException("the network has no stem for input " + Supernet.signatureOf(images)));
    ForwardScope fs = new ForwardScope(scope, regime);
    NDArray h = Supernet.stem(fs, params, stem, images);
    NDArray s0 = h;
    NDArray s1 = h;
    for (CellPlan cell : spec.frame().cellPlans()) {
      NDArray out = cell(fs, params, cell, s0, s1);
      s0 = s1;
      s1 = out;
    }
    NDArray features = Pool.globalAvgPool2d(s1).reshape(images.getShape().get(0), -1);
    return Linear.linear(features, params.get(TensorNames.CLASSIFIER_WEIGHT), params.get(TensorNames.CLASSIFIER_BIAS))
        .singletonOrThrow();
  }

  private NDArray cell(ForwardScope fs, ParameterSet p, CellPlan cell, NDArray s0, NDArray s1) {
    List<NDArray> states = new ArrayList<>(Supernet.preprocess(fs, p, cell, s0, s1));
    List<Genotype.Choice> choices = spec.genotype().cell(cell.type());
    for (int node = 0; node < cell.nodes(); node++) {
      NDArray sum = null;
      for (int k = 0; k < 2; k++) {
        Genotype.Choice c = choices.get(2 * node + k);
        int n = node;
        int kk = k;
        int stride = cell.strideFrom(c.input());
        NDArray y =
            EdgeOperation.apply(
                fs, c.op(), states.get(c.input()), stride,
                part -> p.get(DerivedNetworkSpec.choiceWeight(cell.index(), n, kk, c, part)));
        // as in DARTS, an identity is never dropped: dropping it would silence the residual path
        if (!(c.op() == Operation.SKIP_CONNECT && stride == 1)) {
          y = fs.dropPath(y);
        }
        sum = sum == null ? y : sum.add(y);
      }
      states.add(sum);
    }
    return NDArrays.concat(new NDList(states.subList(2, states.size())), 1);
  }
}
