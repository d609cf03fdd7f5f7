package io.fedbase.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A command's {@code --out} directory. It is created only when the command is about to write, and
 * a failed command removes it again if this command created it and wrote nothing worth keeping
 * into it, so a failure never leaves an empty or half-written directory for the next run to trip
 * over. A directory that existed before the command is never removed.
 *
 * <pre>{@code
 * try (OutputDirectory out = OutputDirectory.of(path)) {
 *   ... validate every input ...
 *   Path dir = out.create();
 *   ... write ...
 *   out.keep();
 * }
 * }</pre>
 */
public final class OutputDirectory implements AutoCloseable {

  private final Path dir;
  private final boolean existedBefore;
  private boolean created;
  private boolean keep;

  private OutputDirectory(Path dir, boolean existedBefore) {
    this.dir = dir;
    this.existedBefore = existedBefore;
  }

  /** The directory at {@code dir}, not created yet. */
  public static OutputDirectory of(Path dir) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " exists and is not a directory; choose another --out");
    }
    return new OutputDirectory(dir, Files.isDirectory(dir));
  }

  /** Where the directory is, whether or not it exists yet. */
  public Path path() {
    return dir;
  }

  /** Creates the directory (and its parents) if needed; returns it. */
  public Path create() throws IOException {
    if (!created) {
      Files.createDirectories(dir);
      created = true;
    }
    return dir;
  }

  /** Marks the directory as holding something worth keeping even if the command later fails. */
  public void keep() {
    keep = true;
  }

  /** Removes the directory if this command created it and never called {@link #keep}. */
  @Override
  public void close() {
    if (created && !keep && !existedBefore) {
      try {
        deleteRecursively(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove the output directory " + dir + " of the failed run", e);
      }
    }
  }

  /** Deletes {@code dir} and everything in it; nothing when it does not exist. */
  public static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
