package io.fedbase.node.train;

import io.fedbase.bundle.Bundle;
import io.fedbase.supernet.DerivedNetworkSpec;

/**
 * A trained derived network: its architecture and sizes, its weights, its BN running statistics
 * (see {@code RunningStatistics}) and the meaning of its inputs and outputs.
 */
public record DerivedModel(DerivedNetworkSpec spec, Bundle weights, Bundle statistics, ModelLabels labels) {

  public DerivedModel {
    if (!weights.layout().specHash().equals(spec.hash())) {
      throw new IllegalArgumentException("the weights do not belong to the network spec");
    }
  }
}
