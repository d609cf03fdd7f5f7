package io.fedbase.bundle;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Bundle files on disk. Writes go to a temp file that is fsynced and renamed over the target, so a
 * crash leaves either the old file or the new one, never a torn one under the final name.
 */
public final class BundleFiles {

  private BundleFiles() {}

  /** Writes atomically; returns the SHA-256 (hex) of the file's content. */
  public static String write(Path path, StoredBundle stored) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      String sha;
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(java.nio.channels.Channels.newOutputStream(channel), 1 << 20)) {
        sha = BundleCodec.write(stored, out);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
      fsyncDirectory(dir);
      return sha;
    } finally {
      Files.deleteIfExists(tmp);
    }
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

  private static void fsyncDirectory(Path dir) {
    // Makes the rename itself durable; some file systems refuse to open a directory, which is fine.
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
