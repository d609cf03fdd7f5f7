package io.fedbase.bundle;

import io.fedbase.space.Digests;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/** Bundle files on disk: atomic writes, verified reads. */
public final class BundleFiles {

  private BundleFiles() {}

  /**
   * Writes atomically (see {@link AtomicFiles}); returns the SHA-256 (hex) of the whole file, as
   * {@code sha256sum} prints it, computed while writing.
   */
  public static String write(Path path, StoredBundle stored) throws IOException {
    return AtomicFiles.write(
        path,
        out -> {
          MessageDigest file = Digests.sha256();
          DigestOutputStream hashed = new DigestOutputStream(out, file);
          BundleCodec.write(stored, hashed);
          hashed.flush();
          return HexFormat.of().formatHex(file.digest());
        });
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
