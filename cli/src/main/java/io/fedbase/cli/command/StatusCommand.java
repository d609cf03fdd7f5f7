package io.fedbase.cli.command;

import io.fedbase.bundle.BundleLayout;
import io.fedbase.cli.CoordinatorChannels;
import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.proto.v1.RoundOutcome;
import io.fedbase.proto.v1.StatusResponse;
import io.grpc.ManagedChannel;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code status}: what a coordinator is doing, its recent rounds and the current genotype. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = "Show a coordinator's round, prior version, connected nodes, recent rounds and current genotype.")
public final class StatusCommand implements Callable<Integer> {

  @Option(names = "--coordinator", required = true, description = "HOST:PORT of the coordinator.")
  String coordinator;

  @Mixin ClientTlsOptions tls;

  @Override
  public Integer call() throws Exception {
    ManagedChannel channel = CoordinatorChannels.open(coordinator, tls);
    try {
      StatusResponse s = new CoordinatorClient(channel).status();
      System.out.printf(
          "round %d (%s), prior version %d%s, spec %s%n",
          s.getRound(),
          s.getState().name().replace("ROUND_STATE_", "").toLowerCase(Locale.ROOT),
          s.getPriorVersion(),
          s.getTargetRounds() > 0 ? " of " + s.getTargetRounds() : "",
          BundleLayout.shortHash(s.getSpecHash()));
      System.out.println("connected nodes: " + (s.getConnectedNodesCount() == 0 ? "none" : String.join(", ", s.getConnectedNodesList())));
      if (s.getPaused()) {
        System.out.println("rounds paused by an operator (`fedbase admin resume` lets them open again)");
      }
      if (s.getRemovedNodesCount() > 0) {
        System.out.println("removed nodes: " + String.join(", ", s.getRemovedNodesList()));
      }
      for (RoundOutcome o : s.getRecentRoundsList()) {
        System.out.println(
            o.getCommitted()
                ? String.format(
                    Locale.ROOT,
                    "  round %d committed: %d updates, %d tasks, version %d, %.1f s, adapted loss %.3f, query acc %.3f",
                    o.getRound(), o.getAcceptedUpdates(), o.getTasks(), o.getPriorVersion(), o.getSeconds(), o.getSupportLossAfter(), o.getQueryAccuracy())
                : String.format(Locale.ROOT, "  round %d failed: %s", o.getRound(), o.getReason()));
      }
      System.out.println("genotype: " + s.getGenotype());
      if (s.hasPrivacy()) {
        var p = s.getPrivacy();
        System.out.printf(
            Locale.ROOT,
            "privacy (%s DP): epsilon %.4g at delta %g after %d rounds%s; noise %.3g, sampling rate %.3g, clips %.3g (weights) %.3g (logits)%n",
            p.getMode(),
            p.getEpsilon(),
            p.getDelta(),
            p.getRounds(),
            p.getBudgetEpsilon() > 0 ? String.format(Locale.ROOT, " of a %.4g budget", p.getBudgetEpsilon()) : "",
            p.getNoiseMultiplier(),
            p.getSamplingRate(),
            p.getWeightClip(),
            p.getLogitClip());
      }
    } finally {
      CoordinatorChannels.close(channel);
    }
    return 0;
  }
}
