package io.fedbase.cli.option;

import io.fedbase.data.ImageDataset;
import io.fedbase.task.TaskSpec;
import picocli.CommandLine.Option;

/** The held-out tasks the benchmarks adapt priors to: data, classes, shape and step counts. */
public final class HeldOutOptions {

  @Option(names = "--test-data", defaultValue = "fashion-mnist:test", description = "Held-out data (default: ${DEFAULT-VALUE}).")
  public String testData;

  @Option(names = "--test-classes", defaultValue = "6-9", description = "Held-out classes (default: ${DEFAULT-VALUE}).")
  public String testClasses;

  @Option(names = "--tasks", defaultValue = "200", description = "Held-out tasks (default: ${DEFAULT-VALUE}).")
  public int tasks;

  @Option(names = "--shots", defaultValue = "5", description = "Support shots of held-out tasks (default: ${DEFAULT-VALUE}).")
  public int shots;

  @Option(names = "--queries", defaultValue = "15", description = "Query images per class of held-out tasks (default: ${DEFAULT-VALUE}).")
  public int queries;

  @Option(names = "--steps", defaultValue = "0,1,2,5,10,25,50", split = ",", description = "Step counts to evaluate at (default: ${DEFAULT-VALUE}).")
  public int[] steps;

  public ImageDataset load() {
    return DataOptions.load(testData, testClasses);
  }

  public TaskSpec shape(int ways) {
    return new TaskSpec(ways, shots, queries);
  }
}
