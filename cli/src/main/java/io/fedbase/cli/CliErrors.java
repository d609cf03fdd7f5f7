package io.fedbase.cli;

import io.fedbase.cli.option.SettingFlags;
import io.fedbase.data.DataException;
import io.fedbase.engine.StoppedException;
import io.fedbase.meta.InvalidSettingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;

/**
 * Turns a failed command into one clear line on stderr and a non-zero exit: 2 for bad input (a
 * missing or corrupt file, a wrong value), 1 for anything unexpected, with the stack trace only
 * when {@code FEDBASE_DEBUG} is set. A command stopped by a signal exits with 128 + its number.
 */
public final class CliErrors implements CommandLine.IExecutionExceptionHandler {

  public static final int BAD_INPUT = 2;
  public static final int FAILURE = 1;

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
    if (cause instanceof StoppedException stopped) {
      cmd.getErr().println(stoppedLine(stopped));
      return stopped.reason().exitStatus();
    }
    boolean badInput =
        cause instanceof IllegalArgumentException || cause instanceof IOException || cause instanceof DataException;
    String message = describe(cause);
    cmd.getErr().println(cmd.getColorScheme().errorText("error: " + message));
    if (System.getenv("FEDBASE_DEBUG") != null) {
      cause.printStackTrace(cmd.getErr());
    }
    return badInput ? BAD_INPUT : FAILURE;
  }

  /** The one line a stopped command ends with: what it kept, or that it wrote nothing half-done. */
  public static String stoppedLine(StoppedException stopped) {
    return "stopped by " + stopped.reason().signal() + "; "
        + (stopped.kept().isEmpty() ? "the run had not finished: no output of it is half-written" : "kept " + stopped.kept());
  }

  public static String describe(Throwable t) {
    if (t instanceof InvalidSettingException s) {
      return SettingFlags.describe(s);
    }
    if (t instanceof NoSuchFileException n) {
      return "no such file: " + n.getFile() + (n.getReason() == null ? "" : " (" + n.getReason() + ")");
    }
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }
}
