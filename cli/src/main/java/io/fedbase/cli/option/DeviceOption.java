package io.fedbase.cli.option;

import ai.djl.ndarray.NDManager;
import io.fedbase.supernet.Devices;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** {@code --device} of every command that trains or evaluates with the engine. */
public final class DeviceOption {

  @Option(
      names = "--device",
      defaultValue = "auto",
      description = "auto, cpu or gpu; the device picked is printed when the engine starts (default: ${DEFAULT-VALUE}).")
  public String choice = "auto";

  /** Resolves the choice and prints the device picked, and why, as one line on {@code log}. */
  public Devices.Selected select(PrintStream log) {
    Devices.Selected selected = Devices.resolve(choice);
    log.println("device: " + selected.describe());
    return selected;
  }

  /** A root manager on the device picked, which is announced on standard error. */
  public NDManager newManager() {
    return NDManager.newBaseManager(select(System.err).device());
  }
}
