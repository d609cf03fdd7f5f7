package io.fedbase.node.adapt;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.space.InputSignature;
import io.fedbase.space.SupernetSpec;
import io.fedbase.space.TensorSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fits a prior to a user's data: the classifier is resized to the data's class count and a stem is
 * added for an input signature the prior has none for. Every tensor with the same name and shape is
 * taken from the prior; the rest starts fresh, and {@link #notes()} says which.
 */
public record PriorTransfer(SupernetSpec spec, Bundle start, List<String> notes) {

  public static PriorTransfer of(SupernetSpec priorSpec, Bundle prior, InputSignature signature, int classes, long seed) {
    SupernetSpec target = priorSpec;
    List<String> notes = new ArrayList<>();
    if (target.stemFor(signature).isEmpty()) {
      target = target.withStemFor(signature);
      notes.add("the prior has no stem for " + signature + " images; a freshly initialised stem was added and adapted from scratch");
    }
    if (target.ways() != classes) {
      target = target.toBuilder().setWays(classes).build();
      notes.add("the prior's classifier is " + priorSpec.ways() + "-way; a fresh " + classes + "-way classifier was initialised");
    }
    BundleLayout from = prior.layout();
    BundleLayout to = BundleLayout.of(target);
    float[] values = ParameterInitializer.initialize(target, seed).toArray();
    for (int i = 0; i < to.tensors().size(); i++) {
      TensorSpec t = to.tensors().get(i);
      if (from.contains(t.name()) && Arrays.equals(from.tensors().get(from.indexOf(t.name())).shape(), t.shape())) {
        System.arraycopy(prior.tensor(t.name()), 0, values, to.offset(i), t.size());
      }
    }
    return new PriorTransfer(target, Bundle.of(to, values), List.copyOf(notes));
  }
}
