package io.fedbase.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: the README's main job. Meta-trains the small supernet on Fashion-MNIST classes 0-5
 * and shows that its prior adapts to held-out classes 6-9 faster than a fresh supernet. It runs the
 * adaptation benchmark at demo size; the federated version replaces the meta-training step once the
 * coordinator and nodes exist.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Meta-train the small supernet on Fashion-MNIST classes 0-5 (a few minutes on two cores), then adapt",
      "the prior and a fresh supernet to held-out tasks of classes 6-9 and print both accuracies."
    })
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--rounds", defaultValue = "120", description = "Meta-rounds (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--tasks", defaultValue = "40", description = "Held-out tasks (default: ${DEFAULT-VALUE}).")
  int tasks;

  @Option(names = "--out", defaultValue = "runs/demo", description = "Where the prior and results go (default: ${DEFAULT-VALUE}).")
  String out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    System.out.println(
        "fedbase demo: meta-training a prior on Fashion-MNIST classes 0-5, then adapting it to held-out classes 6-9.");
    return spec.commandLine()
        .getParent()
        .execute(
            "bench",
            "adaptation",
            "--rounds",
            Integer.toString(rounds),
            "--tasks",
            Integer.toString(tasks),
            "--steps",
            "0,1,2,5,10",
            "--out",
            out);
  }
}
