package io.fedbase.node.train;

import io.fedbase.data.Normalization;
import java.util.List;

/**
 * What a trained model's outputs and inputs mean: output k is dataset class {@code classes[k]}
 * (named {@code classNames[k]} when the data has names), and images are normalised with {@code
 * normalization} before the forward pass.
 */
public record ModelLabels(List<Integer> classes, List<String> classNames, Normalization normalization, String dataSource) {

  public ModelLabels {
    classes = List.copyOf(classes);
    classNames = List.copyOf(classNames);
    if (classes.size() < 2) {
      throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
    }
    if (!classNames.isEmpty() && classNames.size() != classes.size()) {
      throw new IllegalArgumentException(classes.size() + " classes but " + classNames.size() + " class names");
    }
  }

  /** Display name of output {@code k}: the class name if known, else the class id. */
  public String name(int k) {
    return classNames.isEmpty() ? Integer.toString(classes.get(k)) : classNames.get(k);
  }
}
