package io.fedbase.node.adapt;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.Bundle;
import io.fedbase.genotype.ArchitectureLogits;
import io.fedbase.genotype.OperationScores;
import io.fedbase.learn.PerturbationReadout;
import io.fedbase.learn.SupernetProbe;
import io.fedbase.space.EdgeIndex;
import io.fedbase.supernet.Supernet;
import java.util.Locale;
import java.util.function.IntConsumer;

/** What an adapted supernet's genotype is read off: its logits, or its operations' measured importance. */
public enum ArchitectureReadout {
  /** The softmax of the adapted logits (DARTS, BASE). */
  LOGITS("logits") {
    @Override
    public int scorings(Supernet supernet) {
      return 0;
    }

    @Override
    public OperationScores read(Supernet supernet, Bundle adapted, ArchitectureLogits logits, LabelledImages heldOut, double tau, NDManager root, IntConsumer done) {
      return OperationScores.softmaxOf(logits);
    }
  },
  /** Each operation's held-out accuracy drop when it alone is removed from its edge (DARTS-PT). */
  PERTURBATION("perturbation") {
    @Override
    public int scorings(Supernet supernet) {
      return PerturbationReadout.evaluations(supernet.spec().operations(), EdgeIndex.edges(supernet.spec().nodes()));
    }

    @Override
    public OperationScores read(Supernet supernet, Bundle adapted, ArchitectureLogits logits, LabelledImages heldOut, double tau, NDManager root, IntConsumer done) {
      try (SupernetProbe probe =
          new SupernetProbe(supernet, adapted, heldOut.images(), heldOut.labels(), heldOut.signature(), supernet.spec().ways(), PROBE_CHUNK, root)) {
        return new PerturbationReadout(probe).measure(logits, tau, done).importance();
      }
    }
  };

  /** Images per probe forward, as the held-out evaluation during adaptation uses (BN statistics are per chunk). */
  private static final int PROBE_CHUNK = 250;

  private final String key;

  ArchitectureReadout(String key) {
    this.key = key;
  }

  public String key() {
    return key;
  }

  /** Looks a read-out up by name ({@code logits} or {@code perturbation}). */
  public static ArchitectureReadout byName(String name) {
    for (ArchitectureReadout r : values()) {
      if (r.key.equals(name.toLowerCase(Locale.ROOT))) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown read-out '" + name + "'; use logits or perturbation");
  }

  /** How many supernet scorings of the held-out set {@link #read} runs. */
  public abstract int scorings(Supernet supernet);

  /**
   * The strengths the genotype rule picks from.
   *
   * @param adapted the adapted supernet's parameters
   * @param heldOut labelled images the adaptation did not train on, classes mixed
   * @param tau the temperature of the mixture around which importance is measured
   * @param done called with the number of scorings finished so far
   */
  public abstract OperationScores read(
      Supernet supernet, Bundle adapted, ArchitectureLogits logits, LabelledImages heldOut, double tau, NDManager root, IntConsumer done);
}
