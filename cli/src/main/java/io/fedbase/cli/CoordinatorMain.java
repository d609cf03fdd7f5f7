package io.fedbase.cli;

import io.fedbase.cli.command.AdminCommand;
import io.fedbase.cli.command.CaCommand;
import io.fedbase.cli.command.CoordinatorCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * The coordinator host's entry point: only the commands such a host runs (the coordinator, its
 * certificate authority, operator calls), none of which touches the engine. Its class path holds no
 * DJL, no libtorch and no node code (the coordinator image); {@link FedbaseCli} is every command.
 */
@Command(
    name = "fedbase-coordinator",
    mixinStandardHelpOptions = true,
    versionProvider = FedbaseCli.Version.class,
    description = {
      "Serve a federation without the training engine: the coordinator, its CA and operator calls.",
      "The full `fedbase` (nodes, adapt, train, benchmarks) needs DJL with libtorch; this does not."
    },
    subcommands = {CoordinatorCommand.class, CaCommand.class, AdminCommand.class, CommandLine.HelpCommand.class})
public final class CoordinatorMain implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new CoordinatorMain()).setExecutionExceptionHandler(new CliErrors()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
