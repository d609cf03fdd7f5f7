package io.fedbase.node.runtime;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Priors by version on the node's disk, so each version crosses the network once. A cached file is
 * verified (bundle checksum and layout) every time it is read; a corrupt one is fetched again.
 */
public final class PriorCache {

  /** Downloads a version into a file. */
  @FunctionalInterface
  public interface Fetcher {
    void fetch(long version, Path target) throws IOException;
  }

  private static final int KEEP_IN_MEMORY = 2;

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
    Path file = file(version);
    Bundle prior = null;
    if (Files.exists(file)) {
      try {
        prior = BundleFiles.read(file, layout).bundle();
      } catch (IOException e) {
        Files.deleteIfExists(file);
      }
    }
    if (prior == null) {
      Files.createDirectories(file.getParent());
      fetcher.fetch(version, file);
      prior = BundleFiles.read(file, layout).bundle();
    }
    recent.put(version, prior);
    while (recent.size() > KEEP_IN_MEMORY) {
      recent.remove(recent.keySet().iterator().next());
    }
    return prior;
  }
}
