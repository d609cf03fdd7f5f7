package io.fedbase.cli;

import io.fedbase.cli.bench.BenchCommand;
import io.fedbase.cli.command.AdaptCommand;
import io.fedbase.cli.command.AdminCommand;
import io.fedbase.cli.command.CaCommand;
import io.fedbase.cli.command.CheckArgsCommand;
import io.fedbase.cli.command.CoordinatorCommand;
import io.fedbase.cli.command.DemoCommand;
import io.fedbase.cli.command.EvaluateCommand;
import io.fedbase.cli.command.MetaTrainCommand;
import io.fedbase.cli.command.NodeCommand;
import io.fedbase.cli.command.NodeWorkerCommand;
import io.fedbase.cli.command.PriorCommand;
import io.fedbase.cli.command.StatusCommand;
import io.fedbase.cli.command.TrainCommand;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.engine.EngineWork;
import io.fedbase.engine.StopRequest;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code ./fedbase} entry point: one picocli command per job, each with {@code --help}. */
@Command(
    name = "fedbase",
    mixinStandardHelpOptions = true,
    versionProvider = FedbaseCli.Version.class,
    description = "Federated meta-architecture search (BASE) with DJL and gRPC.",
    subcommands = {DemoCommand.class, CoordinatorCommand.class, CaCommand.class, AdminCommand.class, NodeCommand.class, NodeWorkerCommand.class, StatusCommand.class, PriorCommand.class, AdaptCommand.class, TrainCommand.class, EvaluateCommand.class, CheckArgsCommand.class, MetaTrainCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class FedbaseCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** How long a stopping command may take to end its step before it is exited anyway. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(20);

  public static void main(String[] args) {
    CommandLine cli = newCommandLine();
    cli.setExecutionStrategy(
        parsed -> {
          prepareEngine(parsed);
          return new CommandLine.RunLast().execute(parsed);
        });
    int status = cli.execute(args);
    if (StopRequest.requested()) {
      // no step starts after a stop request; let any one still running (another thread's) end first
      try {
        EngineWork.awaitIdle(Duration.ofMinutes(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    System.exit(status);
  }

  /**
   * For a command that uses the engine (one with {@link ThreadsOption}): its thread settings before
   * the engine starts, and signals that stop it between steps instead of under one.
   */
  private static void prepareEngine(CommandLine.ParseResult parsed) {
    CommandLine.ParseResult last = parsed;
    while (last.hasSubcommand()) {
      last = last.subcommand();
    }
    if (last.isUsageHelpRequested() || last.isVersionHelpRequested()) {
      return;
    }
    CommandLine.Model.CommandSpec threads = last.commandSpec().mixins().get(ThreadsOption.MIXIN);
    if (threads != null && threads.userObject() instanceof ThreadsOption option) {
      option.apply(System.err);
      StopSignals.install(STOP_GRACE);
    }
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
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {BuildInfo.current().describe()};
    }
  }
}
