package io.fedbase.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one way data moves between the host (Java arrays) and an engine device in training code,
 * counted. On a GPU each call is a copy over the bus and a synchronisation point, so a step must make
 * none: the prior and a task's data go to the device once per task, the delta and the losses come
 * back once. The counts let a test on the CPU hold the code to that ({@code DeviceCleanTest}), where
 * no copy costs anything and a regression would otherwise go unseen until a GPU runs it.
 */
public final class DeviceTransfers {

  private static final AtomicLong TO_DEVICE = new AtomicLong();
  private static final AtomicLong TO_DEVICE_BYTES = new AtomicLong();
  private static final AtomicLong TO_HOST = new AtomicLong();
  private static final AtomicLong TO_HOST_BYTES = new AtomicLong();

  private DeviceTransfers() {}

  /** Copies made so far in this process. */
  public record Counts(long toDevice, long toDeviceBytes, long toHost, long toHostBytes) {

    /** The copies made between {@code earlier} and this. */
    public Counts since(Counts earlier) {
      return new Counts(toDevice - earlier.toDevice, toDeviceBytes - earlier.toDeviceBytes, toHost - earlier.toHost, toHostBytes - earlier.toHostBytes);
    }
  }

  public static Counts counts() {
    return new Counts(TO_DEVICE.get(), TO_DEVICE_BYTES.get(), TO_HOST.get(), TO_HOST_BYTES.get());
  }

  /** {@code values} as an array of {@code shape} on {@code manager}'s device. */
  public static NDArray toDevice(NDManager manager, float[] values, Shape shape) {
    countToDevice(values.length * (long) Float.BYTES);
    return manager.create(values, shape);
  }

  /** {@code values} (position to limit) as an array of {@code shape} on {@code manager}'s device. */
  public static NDArray toDevice(NDManager manager, FloatBuffer values, Shape shape) {
    countToDevice(values.remaining() * (long) Float.BYTES);
    return manager.create(values, shape);
  }

  /**
   * {@code values} (row indices, labels) as an int64 array of {@code shape} on {@code manager}'s
   * device: the type indexing takes and argmax returns, so no conversion follows on the device.
   */
  public static NDArray toDevice(NDManager manager, int[] values, Shape shape) {
    long[] wide = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      wide[i] = values[i];
    }
    countToDevice(wide.length * (long) Long.BYTES);
    return manager.create(wide, shape);
  }

  /** A float32 array's values on the host. */
  public static float[] toHost(NDArray array) {
    float[] values = array.toFloatArray();
    countToHost(values.length * (long) Float.BYTES);
    return values;
  }

  private static void countToDevice(long bytes) {
    TO_DEVICE.incrementAndGet();
    TO_DEVICE_BYTES.addAndGet(bytes);
  }

  private static void countToHost(long bytes) {
    TO_HOST.incrementAndGet();
    TO_HOST_BYTES.addAndGet(bytes);
  }
}
