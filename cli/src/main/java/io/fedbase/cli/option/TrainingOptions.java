package io.fedbase.cli.option;

import io.fedbase.node.train.TrainingConfig;
import picocli.CommandLine.Option;

/** The training recipe's options (DARTS' defaults, scaled to CPU-sized runs). */
public final class TrainingOptions {

  @Option(names = "--epochs", defaultValue = "10", description = "Epochs (default: ${DEFAULT-VALUE}).")
  public int epochs;

  @Option(names = "--batch", defaultValue = "64", description = "Images per SGD step (default: ${DEFAULT-VALUE}).")
  public int batch;

  @Option(names = "--lr", defaultValue = "0.025", description = "Initial learning rate, cosine-annealed (default: ${DEFAULT-VALUE}).")
  public float lr;

  @Option(names = "--min-lr", defaultValue = "0", description = "Learning rate after the last step (default: ${DEFAULT-VALUE}).")
  public float minLr;

  @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
  public float momentum;

  @Option(names = "--weight-decay", defaultValue = "3e-4", description = "Weight decay (default: ${DEFAULT-VALUE}).")
  public float weightDecay;

  @Option(names = "--grad-clip", defaultValue = "5", description = "Clip the global gradient norm to this; 0 = off (default: ${DEFAULT-VALUE}).")
  public float gradClip;

  @Option(names = "--drop-path", defaultValue = "0.2", description = "Drop-path probability reached in the last epoch; 0 = off (default: ${DEFAULT-VALUE}).")
  public float dropPath;

  @Option(names = "--cutout", defaultValue = "0", description = "Cutout square side in pixels; 0 = off (default: ${DEFAULT-VALUE}).")
  public int cutout;

  public TrainingConfig config(long seed) {
    return new TrainingConfig(epochs, batch, lr, minLr, momentum, weightDecay, gradClip, dropPath, cutout, seed);
  }
}
