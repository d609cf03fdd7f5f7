package io.fedbase.cli.command;

import io.fedbase.cli.FedbaseCli;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code check-args -- COMMAND ARGS...}: parses a command line without running it (hidden; used by
 * deploy/ checks so that compose files and manifests cannot carry a flag the CLI does not accept).
 */
@Command(name = "check-args", hidden = true, description = "Parse a fedbase command line without running it.")
public final class CheckArgsCommand implements Callable<Integer> {

  @Parameters(description = "The command line to check.")
  List<String> args = new ArrayList<>();

  @Override
  public Integer call() {
    try {
      FedbaseCli.newCommandLine().parseArgs(args.toArray(String[]::new));
      System.out.println("ok: " + String.join(" ", args));
      return 0;
    } catch (CommandLine.ParameterException e) {
      System.err.println("error: " + e.getMessage());
      return 2;
    }
  }
}
