package io.fedbase.bundle;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Bundle files on disk: atomic writes, verified reads. */
public final class BundleFiles {

  private BundleFiles() {}

  /** Writes atomically (see {@link AtomicFiles}); returns the SHA-256 (hex) of the file's content. */
  public static String write(Path path, StoredBundle stored) throws IOException {
    return AtomicFiles.write(path, out -> BundleCodec.write(stored, out));
  }

  /** Reads and verifies a bundle of any spec. */
  public static StoredBundle read(Path path) throws IOException {
    return read(path, null);
  }

  /** Reads and verifies a bundle that must have {@code expected}'s layout. */
  public static StoredBundle read(Path path, BundleLayout expected) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 20)) {
      return BundleCodec.read(in, expected, path.toString());
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "bundle file not found");
    }
  }
}
