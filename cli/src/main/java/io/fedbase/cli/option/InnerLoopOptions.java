package io.fedbase.cli.option;

import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import picocli.CommandLine.Option;

/** Inner-loop (posterior adaptation) flags, with the defaults of docs/ALGORITHM.md. */
public final class InnerLoopOptions {

  @Option(names = "--inner-steps", defaultValue = "5", description = "Adam steps per task K (default: ${DEFAULT-VALUE}).")
  public int steps;

  @Option(names = "--inner-lr", defaultValue = "5e-3", description = "Learning rate of the weights (default: ${DEFAULT-VALUE}).")
  public float weightLr;

  @Option(names = "--logit-lr", defaultValue = "5e-2", description = "Learning rate of the architecture logits (default: ${DEFAULT-VALUE}).")
  public float logitLr;

  @Option(names = "--logit-weight-decay", defaultValue = "1e-3", description = "Weight decay of the logits (default: ${DEFAULT-VALUE}).")
  public float logitWeightDecay;

  @Option(
      names = "--logit-beta-decay",
      defaultValue = "0",
      description = "Weight of beta-decay on the logits, against one operation taking over the cells; 0 = off (default: ${DEFAULT-VALUE}).")
  public float logitBetaDecay;

  @Option(names = "--batch", defaultValue = "0", description = "Minibatch drawn from the support set per step; 0 = whole set (default).")
  public int batch;

  @Option(names = "--relaxation", defaultValue = "gumbel", description = "gumbel (soft Gumbel-softmax), softmax, or gumbel-hard (default: ${DEFAULT-VALUE}).")
  public String relaxation;

  public InnerLoopConfig config() {
    return InnerLoopConfig.builder()
        .optSteps(steps)
        .optLearningRates(weightLr, logitLr)
        .optLogitWeightDecay(logitWeightDecay)
        .optLogitBetaDecay(logitBetaDecay)
        .optBatchSize(batch)
        .optRelaxation(Relaxation.fromKey(relaxation))
        .build();
  }
}
