package io.fedbase.node.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.ParameterInitializer;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.space.SupernetSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PriorCacheTest {

  @TempDir Path dir;

  private final SupernetSpec spec = SupernetSpec.profile("small");
  private final Bundle prior = ParameterInitializer.initialize(spec, 5);

  @Test
  void nodesSharingOneDirectoryFetchAVersionOnceAndAllReadIt() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    List<Thread> waiting = new ArrayList<>();
    PriorCache.Fetcher fetcher =
        (version, target) -> {
          fetches.incrementAndGet();
          // hold the download until every other node is queued behind it, so they do overlap
          synchronized (waiting) {
            while (waiting.size() < 4
                || waiting.stream().anyMatch(t -> t != Thread.currentThread() && t.getState() != Thread.State.WAITING)) {
              try {
                waiting.wait(5);
              } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
              }
            }
          }
          BundleFiles.write(target, StoredBundle.parameters(prior, Map.of()));
        };
    // four caches, as four node processes would have, on one directory
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Bundle>> got = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        PriorCache cache = new PriorCache(dir, BundleLayout.of(spec), fetcher);
        got.add(
            pool.submit(
                () -> {
                  synchronized (waiting) {
                    waiting.add(Thread.currentThread());
                  }
                  return cache.get(3);
                }));
      }
      for (Future<Bundle> f : got) {
        assertEquals(prior, f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, fetches.get(), "one download for everyone");
    try (var files = Files.walk(dir)) {
      assertTrue(files.noneMatch(p -> p.toString().endsWith(".part") || p.toString().endsWith(".tmp")), "no temporary file is left");
    }
  }

  @Test
  void aDamagedCachedFileIsFetchedAgain() throws Exception {
    AtomicInteger fetches = new AtomicInteger();
    PriorCache.Fetcher fetcher =
        (version, target) -> {
          fetches.incrementAndGet();
          BundleFiles.write(target, StoredBundle.parameters(prior, Map.of()));
        };
    PriorCache cache = new PriorCache(dir, BundleLayout.of(spec), fetcher);
    Path file = cache.file(7);
    Files.createDirectories(file.getParent());
    Files.write(file, new byte[] {1, 2, 3});
    assertEquals(prior, cache.get(7));
    assertEquals(1, fetches.get());
    // a second cache on the same directory finds the good file on disk
    assertEquals(prior, new PriorCache(dir, BundleLayout.of(spec), fetcher).get(7));
    assertEquals(1, fetches.get());
  }
}
