package io.fedbase.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How many CPUs this process may really use: the CPUs its affinity mask allows, capped by the CFS
 * quota of its cgroup (v2 {@code cpu.max} or v1 {@code cpu.cfs_quota_us}, the tightest along the
 * path up to the root). A container limited to one CPU on a 64-core host gets 1, not 64.
 *
 * @param cpus the budget: at least 1
 * @param affinity CPUs in the affinity mask
 * @param quota the cgroup CPU quota in CPUs, when one is set
 */
public record CpuBudget(int cpus, int affinity, OptionalDouble quota) {

  public CpuBudget {
    if (cpus < 1 || affinity < 1) {
      throw new IllegalArgumentException("a CPU budget is at least 1 (cpus " + cpus + ", affinity " + affinity + ")");
    }
  }

  /** The budget of this process, read from {@code /proc} and {@code /sys/fs/cgroup}. */
  public static CpuBudget detect() {
    return read(Path.of("/proc/self"), Path.of("/sys/fs/cgroup"), Runtime.getRuntime().availableProcessors());
  }

  /**
   * The budget read from a {@code /proc/self}-like directory and a cgroup mount; {@code fallback}
   * CPUs when the affinity mask cannot be read (not Linux).
   */
  static CpuBudget read(Path procSelf, Path cgroupRoot, int fallback) {
    int affinity = affinity(procSelf).orElse(Math.max(1, fallback));
    OptionalDouble quota = quota(procSelf, cgroupRoot);
    int cpus = affinity;
    if (quota.isPresent()) {
      // a fractional quota rounds down: 1.5 CPUs of quota cannot keep two busy threads running
      cpus = Math.max(1, Math.min(affinity, (int) Math.floor(quota.getAsDouble())));
    }
    return new CpuBudget(cpus, affinity, quota);
  }

  /** One line for logs: "2 CPUs (affinity 2, no CPU quota)". */
  public String describe() {
    String q = quota.isPresent() ? String.format(Locale.ROOT, "CPU quota %.2f", quota.getAsDouble()) : "no CPU quota";
    return cpus + (cpus == 1 ? " CPU" : " CPUs") + " (affinity " + affinity + ", " + q + ")";
  }

  private static Optional<Integer> affinity(Path procSelf) {
    try {
      for (String line : Files.readAllLines(procSelf.resolve("status"))) {
        if (line.startsWith("Cpus_allowed_list:")) {
          return Optional.of(countCpuList(line.substring(line.indexOf(':') + 1).trim()));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or an unreadable /proc: fall back to the JVM's count
    }
    return Optional.empty();
  }

  /** Counts a kernel CPU list such as {@code 0-3,8,10-11}. */
  static int countCpuList(String list) {
    int count = 0;
    for (String part : list.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      int dash = p.indexOf('-');
      if (dash < 0) {
        Integer.parseInt(p);
        count++;
      } else {
        int from = Integer.parseInt(p.substring(0, dash));
        int to = Integer.parseInt(p.substring(dash + 1));
        if (to < from) {
          throw new IllegalArgumentException("bad CPU range " + p);
        }
        count += to - from + 1;
      }
    }
    if (count == 0) {
      throw new IllegalArgumentException("empty CPU list");
    }
    return count;
  }

  private static OptionalDouble quota(Path procSelf, Path cgroupRoot) {
    List<String> lines;
    try {
      lines = Files.readAllLines(procSelf.resolve("cgroup"));
    } catch (IOException e) {
      return OptionalDouble.empty();
    }
    double tightest = Double.POSITIVE_INFINITY;
    for (String line : lines) {
      String[] f = line.split(":", 3);
      if (f.length != 3) {
        continue;
      }
      if (f[0].equals("0") && f[1].isEmpty()) {
        tightest = Math.min(tightest, alongPath(cgroupRoot, f[2], CpuBudget::cgroupV2Quota));
      } else if (List.of(f[1].split(",")).contains("cpu")) {
        // v1 mounts the cpu controller under one of these names
        for (String mount : List.of("cpu,cpuacct", "cpuacct,cpu", "cpu")) {
          Path base = cgroupRoot.resolve(mount);
          if (Files.isDirectory(base)) {
            tightest = Math.min(tightest, alongPath(base, f[2], CpuBudget::cgroupV1Quota));
            break;
          }
        }
      }
    }
    return Double.isInfinite(tightest) ? OptionalDouble.empty() : OptionalDouble.of(tightest);
  }

  /** The tightest quota from the process's cgroup up to the mount's root (inside a container, its own root). */
  private static double alongPath(Path mount, String cgroupPath, QuotaReader reader) {
    double tightest = Double.POSITIVE_INFINITY;
    Path dir = mount;
    tightest = Math.min(tightest, reader.quota(dir));
    for (String part : cgroupPath.split("/")) {
      if (part.isEmpty() || part.equals("..") || part.equals(".")) {
        continue;
      }
      dir = dir.resolve(part);
      if (!Files.isDirectory(dir)) {
        // the process's cgroup is outside this mount's view (e.g. a host path seen from a container)
        break;
      }
      tightest = Math.min(tightest, reader.quota(dir));
    }
    return tightest;
  }

  @FunctionalInterface
  private interface QuotaReader {
    double quota(Path dir);
  }

  /** {@code cpu.max}: "QUOTA PERIOD" in microseconds, or "max PERIOD". */
  private static double cgroupV2Quota(Path dir) {
    try {
      String[] f = Files.readString(dir.resolve("cpu.max")).trim().split("\\s+");
      if (f.length == 2 && !f[0].equals("max")) {
        return ratio(Long.parseLong(f[0]), Long.parseLong(f[1]));
      }
    } catch (IOException | RuntimeException e) {
      // no such file, or not a number: no quota here
    }
    return Double.POSITIVE_INFINITY;
  }

  /** {@code cpu.cfs_quota_us} (-1 = none) over {@code cpu.cfs_period_us}. */
  private static double cgroupV1Quota(Path dir) {
    try {
      long quota = Long.parseLong(Files.readString(dir.resolve("cpu.cfs_quota_us")).trim());
      long period = Long.parseLong(Files.readString(dir.resolve("cpu.cfs_period_us")).trim());
      if (quota > 0) {
        return ratio(quota, period);
      }
    } catch (IOException | RuntimeException e) {
      // no such file, or not a number: no quota here
    }
    return Double.POSITIVE_INFINITY;
  }

  private static double ratio(long quota, long period) {
    return period > 0 && quota > 0 ? (double) quota / period : Double.POSITIVE_INFINITY;
  }
}
