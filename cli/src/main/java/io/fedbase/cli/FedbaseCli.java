package io.fedbase.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./fedbase} entry point: one picocli command per job, each with {@code --help}. */
@Command(
    name = "fedbase",
    mixinStandardHelpOptions = true,
    versionProvider = FedbaseCli.Version.class,
    description = "Federated meta-architecture search (BASE) with DJL and gRPC.",
    subcommands = {DemoCommand.class, CoordinatorCommand.class, CaCommand.class, AdminCommand.class, NodeCommand.class, StatusCommand.class, PriorCommand.class, AdaptCommand.class, TrainCommand.class, EvaluateCommand.class, CheckArgsCommand.class, MetaTrainCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class FedbaseCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line, shared by {@link #main} and tests. */
  public static CommandLine newCommandLine() {
    return new CommandLine(new FedbaseCli())
        .setExecutionExceptionHandler(new CliErrors())
        .setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Reports the build's version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = FedbaseCli.class.getPackage().getImplementationVersion();
      return new String[] {"fedbase " + (v == null ? "(development build)" : v)};
    }
  }
}
