package io.fedbase.bundle;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Crash-safe file replacement: write a temp file beside the target, fsync it, rename it over the
 * target, fsync the directory. A crash leaves the old file or the new one, never a torn one.
 */
public final class AtomicFiles {

  /** Writes a file's content to a stream. */
  @FunctionalInterface
  public interface Writer<T> {
    T writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  /** Replaces {@code path} with what {@code writer} produces; returns the writer's result. */
  public static <T> T write(Path path, Writer<T> writer) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
    try {
      T result;
      try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
          OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 20)) {
        result = writer.writeTo(out);
        out.flush();
        channel.force(true);
      }
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
      }
      fsyncDirectory(dir);
      return result;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Replaces {@code path} with {@code text} in UTF-8. */
  public static void writeString(Path path, String text) throws IOException {
    write(
        path,
        out -> {
          out.write(text.getBytes(StandardCharsets.UTF_8));
          return null;
        });
  }

  private static void fsyncDirectory(Path dir) {
    // makes the rename itself durable; some file systems refuse to open a directory, which is fine
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // best effort
    }
  }
}
