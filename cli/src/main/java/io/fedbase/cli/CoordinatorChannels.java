package io.fedbase.cli;

import io.fedbase.cli.option.ClientTlsOptions;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** Channels from the CLI to a coordinator: target parsing, credentials, keep-alives, closing. */
public final class CoordinatorChannels {

  private CoordinatorChannels() {}

  /**
   * A channel to {@code target} (HOST:PORT) with {@code tls}'s credentials and keep-alives fit for
   * a long-lived round stream: pings keep idle proxies from dropping it.
   */
  public static ManagedChannel open(String target, ClientTlsOptions tls) throws IOException {
    ChannelCredentials credentials = tls.credentials();
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new IllegalArgumentException("--coordinator must be HOST:PORT, got '" + target + "'");
    }
    int port;
    try {
      port = Integer.parseInt(target.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--coordinator must be HOST:PORT, got '" + target + "'");
    }
    return NettyChannelBuilder.forAddress(target.substring(0, colon), port, credentials)
        // a dead coordinator is noticed within 15 s (the coordinator permits pings every 5 s)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .maxInboundMessageSize(4 << 20)
        // prior downloads run 20% faster with a 4 MiB window than with 256 KiB (BENCHMARKS §7);
        // a client holds one download at a time, so the memory is affordable here
        .flowControlWindow(4 << 20)
        .build();
  }

  /** Shuts a channel down, waiting briefly for calls to end. */
  public static void close(ManagedChannel channel) throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
