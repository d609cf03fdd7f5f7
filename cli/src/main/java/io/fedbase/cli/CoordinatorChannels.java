package io.fedbase.cli;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.TimeUnit;

/** Channels from the CLI to a coordinator: target parsing, the plaintext rule, keep-alives, closing. */
final class CoordinatorChannels {

  private CoordinatorChannels() {}

  /**
   * A channel to {@code target} (HOST:PORT) with keep-alives fit for a long-lived round stream
   * (ENGINEERING §2). Plaintext only, so {@code insecure} must say so until TLS is available.
   */
  static ManagedChannel open(String target, boolean insecure) {
    if (!insecure) {
      throw new IllegalArgumentException("TLS is not available yet; pass --insecure to connect with plaintext gRPC");
    }
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
    return NettyChannelBuilder.forAddress(target.substring(0, colon), port)
        .usePlaintext()
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(15, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(true)
        .maxInboundMessageSize(4 << 20)
        .build();
  }

  /** Shuts a channel down, waiting briefly for calls to end. */
  static void close(ManagedChannel channel) throws InterruptedException {
    channel.shutdownNow();
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
