package io.fedbase.coordinator.transport;

import io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;

/** The coordinator's Netty settings: message size, flow-control window and keep-alives. */
public final class TransportLimits {

  /** Largest message accepted: a 1 MiB chunk plus headroom; anything bigger is RESOURCE_EXHAUSTED. */
  public static final int MAX_INBOUND_MESSAGE_BYTES = 4 << 20;

  /**
   * Per-stream HTTP/2 window: an upload waiting for its turn holds at most this much of its
   * payload in the coordinator (see {@link UploadGate}); streaming uploads refill it as they go.
   */
  public static final int FLOW_CONTROL_WINDOW = 256 << 10;

  private TransportLimits() {}

  /** Applies the limits to {@code builder}. */
  public static NettyServerBuilder apply(NettyServerBuilder builder) {
    return apply(builder, FLOW_CONTROL_WINDOW);
  }

  /** The limits with another per-stream window (for the transfer benchmark's sweep). */
  public static NettyServerBuilder apply(NettyServerBuilder builder, int flowControlWindow) {
    return builder
        .flowControlWindow(flowControlWindow)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
        // clients ping every 10 s when idle; the coordinator pings them too, so a dead peer's
        // streams end within 15 s either way
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS);
  }
}
