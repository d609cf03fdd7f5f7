package io.fedbase.supernet;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.fedbase.meta.InvalidSettingException;
import java.util.Locale;

/** Maps the CLI's {@code --device auto|cpu|gpu} to a DJL device. */
public final class Devices {

  private Devices() {}

  /** {@code auto} takes a GPU when the engine sees one, else the CPU. */
  public static Device select(String choice) {
    Engine engine = Engine.getInstance();
    switch (choice.toLowerCase(Locale.ROOT)) {
      case "auto":
        return engine.getGpuCount() > 0 ? Device.gpu() : Device.cpu();
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (engine.getGpuCount() == 0) {
          throw new InvalidSettingException("device", "gpu was asked for, but the engine sees no GPU");
        }
        return Device.gpu();
      default:
        throw new InvalidSettingException("device", "must be auto, cpu or gpu, got '" + choice + "'");
    }
  }
}
