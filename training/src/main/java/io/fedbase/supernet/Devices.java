package io.fedbase.supernet;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import io.fedbase.meta.InvalidSettingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Maps the CLI's {@code --device auto|cpu|gpu} to a DJL device, and says which and why. */
public final class Devices {

  private Devices() {}

  /**
   * The device a command trains on.
   *
   * @param device the device the engine's managers allocate on
   * @param choice what was asked for: auto, cpu or gpu
   * @param libtorch the libtorch version loaded
   * @param cudaBuild whether that libtorch is a CUDA build (docs/GPU.md); a CPU build never sees a GPU
   * @param gpus the GPUs libtorch sees
   */
  public record Selected(Device device, String choice, String libtorch, boolean cudaBuild, int gpus) {

    /** The device's short name for logs and metric labels: {@code cpu} or {@code gpu0}. */
    public String name() {
      return device.isGpu() ? "gpu" + device.getDeviceId() : "cpu";
    }

    /** One line for people: the device, what was asked for, and what the engine sees. */
    public String describe() {
      String build = "libtorch " + libtorch + (cudaBuild ? " (CUDA build)" : " (CPU build)");
      String sees = gpus == 0 ? "sees no GPU" : "sees " + gpus + " GPU" + (gpus == 1 ? "" : "s");
      return name() + " (" + choice + "; " + build + " " + sees + ")";
    }
  }

  /** {@code auto} takes a GPU when the engine sees one, else the CPU. */
  public static Device select(String choice) {
    return resolve(choice).device();
  }

  /** Like {@link #select}, with what was seen on the way. */
  public static Selected resolve(String choice) {
    String asked = choice.toLowerCase(Locale.ROOT);
    Engine engine = Engine.getInstance();
    int gpus = engine.getGpuCount();
    String version = engine.getVersion();
    boolean cuda = isCudaBuild();
    switch (asked) {
      case "auto":
        return new Selected(gpus > 0 ? Device.gpu() : Device.cpu(), asked, version, cuda, gpus);
      case "cpu":
        return new Selected(Device.cpu(), asked, version, cuda, gpus);
      case "gpu":
        if (gpus == 0) {
          throw new InvalidSettingException(
              "device",
              cuda
                  ? "gpu was asked for, but libtorch " + version + " (a CUDA build) sees no GPU on this machine: is the NVIDIA driver installed and"
                      + " the device visible to this process? Use auto or cpu to train on the CPU"
                  : "gpu was asked for, but this build's libtorch " + version + " is CPU-only: build with -Pcuda (docs/GPU.md) or use auto or cpu");
        }
        return new Selected(Device.gpu(), asked, version, cuda, gpus);
      default:
        throw new InvalidSettingException("device", "must be auto, cpu or gpu, got '" + choice + "'");
    }
  }

  /** Whether the loaded libtorch has its CUDA library beside it (a CPU build has none). */
  private static boolean isCudaBuild() {
    try {
      return Files.exists(Path.of(LibUtils.getLibtorchPath()).resolve(System.mapLibraryName("torch_cuda")));
    } catch (RuntimeException e) {
      return false;
    }
  }
}
