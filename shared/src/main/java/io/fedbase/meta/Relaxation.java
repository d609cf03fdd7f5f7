package io.fedbase.meta;

import java.util.Locale;

/**
 * How architecture logits become edge weights during training: BASE's soft Gumbel-softmax
 * (default), plain softmax ("BASE-Softmax"), or hard straight-through Gumbel samples.
 */
public enum Relaxation {
  /** softmax((alpha + g) / tau), g ~ Gumbel(0, 1), one draw per edge and op per minibatch. */
  GUMBEL_SOFTMAX("gumbel"),
  /** softmax(alpha / tau), no noise. */
  SOFTMAX("softmax"),
  /** One-hot argmax of the Gumbel-softmax sample forward, its soft gradient backward. */
  GUMBEL_HARD("gumbel-hard");

  private final String key;

  Relaxation(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  /** Looks a relaxation up by its CLI key. */
  public static Relaxation fromKey(String key) {
    for (Relaxation r : values()) {
      if (r.key.equals(key.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown relaxation '" + key + "'; use gumbel, softmax or gumbel-hard");
  }
}
