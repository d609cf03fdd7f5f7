package io.fedbase.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of a Linux process from {@code /proc/PID/status}, for the benchmarks. */
public final class ProcStatus {

  private ProcStatus() {}

  /** Current resident set of this process in KiB, or -1 where /proc is missing. */
  public static long rssKib() {
    return kib(ProcessHandle.current().pid(), "VmRSS:");
  }

  /** Peak resident set of this process in KiB, or -1. */
  public static long peakRssKib() {
    return kib(ProcessHandle.current().pid(), "VmHWM:");
  }

  /** The KiB value of {@code field} (e.g. {@code VmRSS:}) for process {@code pid}, or -1 if it has ended. */
  public static long kib(long pid, String field) {
    Path status = Path.of("/proc/" + pid + "/status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      // no /proc, or the process ended
    }
    return -1;
  }
}
