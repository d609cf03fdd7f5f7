package io.fedbase.cli.command;

import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.AdminState;
import io.fedbase.proto.v1.PauseRoundsRequest;
import io.fedbase.proto.v1.ReadmitNodeRequest;
import io.fedbase.proto.v1.RemoveNodeRequest;
import io.fedbase.proto.v1.ResumeRoundsRequest;
import io.fedbase.proto.v1.RollbackPriorRequest;
import io.fedbase.proto.v1.RollbackPriorResponse;
import io.grpc.ManagedChannel;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code admin}: operator calls on a running coordinator (an operator certificate is needed). */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = "Operator calls on a running coordinator: pause, resume, remove-node, readmit-node, rollback.",
    subcommands = {
      AdminCommand.Pause.class,
      AdminCommand.Resume.class,
      AdminCommand.RemoveNode.class,
      AdminCommand.ReadmitNode.class,
      AdminCommand.Rollback.class
    })
public final class AdminCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The coordinator and credentials every admin call needs. */
  static final class Target {
    @Option(names = "--coordinator", required = true, description = "HOST:PORT of the coordinator.")
    String coordinator;

    @Mixin ClientTlsOptions tls;

    Integer call(Function<AdminGrpc.AdminBlockingStub, AdminState> call) throws Exception {
      AdminState state = answer(call);
      System.out.println(
          (state.getPaused() ? "rounds paused" + (state.getPauseReason().isEmpty() ? "" : " (" + state.getPauseReason() + ")") : "rounds running")
              + "; removed nodes: " + (state.getRemovedNodesCount() == 0 ? "none" : String.join(", ", state.getRemovedNodesList())));
      return 0;
    }

    /** The coordinator's answer to {@code call}, over a channel opened for it. */
    <T> T answer(Function<AdminGrpc.AdminBlockingStub, T> call) throws Exception {
      ManagedChannel channel = CoordinatorChannels.open(coordinator, tls);
      try {
        // a rollback may wait for a committing round and writes a whole prior
        return call.apply(AdminGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES));
      } finally {
        CoordinatorChannels.close(channel);
      }
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Open no new rounds (an open round still closes); survives restarts.")
  static final class Pause implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--reason", defaultValue = "", description = "Why, for the log and status.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return target.call(s -> s.pauseRounds(PauseRoundsRequest.newBuilder().setReason(reason).build()));
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Let rounds open again.")
  static final class Resume implements Callable<Integer> {
    @Mixin Target target;

    @Override
    public Integer call() throws Exception {
      return target.call(s -> s.resumeRounds(ResumeRoundsRequest.getDefaultInstance()));
    }
  }

  @Command(
      name = "remove-node",
      mixinStandardHelpOptions = true,
      description = {
        "Remove a node from the federation until it is readmitted.",
        "Ends the node's stream, drops it from the open round and refuses its calls; survives restarts."
      })
  static final class RemoveNode implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--node-id", required = true, description = "The node to remove.")
    String nodeId;

    @Option(names = "--reason", defaultValue = "", description = "Why; the node is told.")
    String reason;

    @Override
    public Integer call() throws Exception {
      return target.call(s -> s.removeNode(RemoveNodeRequest.newBuilder().setNodeId(nodeId).setReason(reason).build()));
    }
  }

  @Command(name = "readmit-node", mixinStandardHelpOptions = true, description = "Let a removed node join again.")
  static final class ReadmitNode implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--node-id", required = true, description = "The node to readmit.")
    String nodeId;

    @Override
    public Integer call() throws Exception {
      return target.call(s -> s.readmitNode(ReadmitNodeRequest.newBuilder().setNodeId(nodeId).build()));
    }
  }

  @Command(
      name = "rollback",
      mixinStandardHelpOptions = true,
      description = {
        "Make an earlier prior version current again, as a new version recorded as a rollback.",
        "A round that is collecting is abandoned; the privacy already spent stays spent."
      })
  static final class Rollback implements Callable<Integer> {
    @Mixin Target target;

    @Option(names = "--to-version", required = true, description = "The committed version whose parameters become current again.")
    long toVersion;

    @Option(names = "--reason", defaultValue = "", description = "Why, for the log and the new version's manifest.")
    String reason;

    @Override
    public Integer call() throws Exception {
      if (toVersion < 0) {
        throw new CommandLine.ParameterException(new CommandLine(this), "--to-version must be a version number (0 or more), got " + toVersion);
      }
      RollbackPriorResponse r = target.answer(s -> s.rollbackPrior(RollbackPriorRequest.newBuilder().setToVersion(toVersion).setReason(reason).build()));
      System.out.println(
          "version " + r.getVersion() + " is current and has the parameters of version " + r.getRestoredVersion() + " (sha256 " + r.getSha256() + ")");
      return 0;
    }
  }
}
