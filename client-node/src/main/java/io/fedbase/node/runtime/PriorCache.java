package io.fedbase.node.runtime;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Priors by version on the node's disk, so each version crosses the network once. A cached file is
 * verified (bundle checksum and layout) every time it is read; a corrupt one is fetched again.
 *
 * <p>Several nodes may share one cache directory (several per machine, started from one
 * directory): a version is fetched, checked and replaced under an exclusive lock on its own lock
 * file, so one process downloads while the others wait and then read the verified file. The lock
 * is the operating system's (released when a process dies), plus an in-process lock because a JVM
 * cannot take the same file lock twice.
 */
public final class PriorCache {

  /** Downloads a version into a file. */
  @FunctionalInterface
  public interface Fetcher {
    void fetch(long version, Path target) throws IOException;
  }

  private static final int KEEP_IN_MEMORY = 2;
  /** One lock per cache file for all caches of this JVM. */
  private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

  private final Path dir;
  private final BundleLayout layout;
  private final Fetcher fetcher;
  private final Map<Long, Bundle> recent = new LinkedHashMap<>();

  public PriorCache(Path dir, BundleLayout layout, Fetcher fetcher) {
    this.dir = dir;
    this.layout = layout;
    this.fetcher = fetcher;
  }

  /** Where version {@code version} is cached. */
  public Path file(long version) {
    return dir.resolve(BundleLayout.shortHash(layout.specHash())).resolve(String.format("prior-v%08d.fbb", version));
  }

  /** The prior of {@code version}, from memory, disk or the coordinator, in that order. */
  public synchronized Bundle get(long version) throws IOException {
    Bundle cached = recent.get(version);
    if (cached != null) {
      return cached;
    }
    Bundle prior = readOrFetch(file(version), version);
    recent.put(version, prior);
    while (recent.size() > KEEP_IN_MEMORY) {
      recent.remove(recent.keySet().iterator().next());
    }
    return prior;
  }

  private Bundle readOrFetch(Path file, long version) throws IOException {
    Files.createDirectories(file.getParent());
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    ReentrantLock local = IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
    local.lock();
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = channel.lock()) {
      if (Files.exists(file)) {
        try {
          return BundleFiles.read(file, layout).bundle();
        } catch (IOException e) {
          // torn or damaged (a full disk, a process killed before this lock existed): fetch it again
          Files.deleteIfExists(file);
        }
      }
      fetcher.fetch(version, file);
      return BundleFiles.read(file, layout).bundle();
    } finally {
      local.unlock();
    }
  }
}
