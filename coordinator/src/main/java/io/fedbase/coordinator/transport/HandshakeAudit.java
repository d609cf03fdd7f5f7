package io.fedbase.coordinator.transport;

import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalProtocolNegotiator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;
import javax.net.ssl.SSLException;

/**
 * gRPC's server TLS negotiation, with every refused handshake recorded in the {@link
 * SecurityAudit}: {@code kind=authentication what=tls-handshake}, the peer's address, whose
 * certificate it was if one was presented (see {@link FederationTrustManager}), and why.
 *
 * <p>grpc-java 1.85 logs nothing about a refused handshake (a FINE line without the peer or the
 * cause), and its public API has no hook that sees one: the trust manager is not asked when the
 * client presents no certificate (and a compliant client with a certificate from another CA
 * presents none), and the SSLEngine it is given knows no peer address. So this wraps the
 * negotiator gRPC uses for TLS ({@code InternalProtocolNegotiators.serverTls}, an API gRPC marks
 * internal; {@code HandshakeAuditTest} fails if an upgrade changes how it works) and
 * puts a handler right behind it in the connection's pipeline, where the handshake's failure
 * arrives as an exception on its way to gRPC's handler that closes the connection.
 */
final class HandshakeAudit implements InternalProtocolNegotiator.ProtocolNegotiator {

  private final InternalProtocolNegotiator.ProtocolNegotiator tls;
  private final SecurityAudit audit;

  HandshakeAudit(InternalProtocolNegotiator.ProtocolNegotiator tls, SecurityAudit audit) {
    this.tls = tls;
    this.audit = audit;
  }

  @Override
  public AsciiString scheme() {
    return tls.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new Watch(tls.newHandler(grpcHandler), audit);
  }

  @Override
  public void close() {
    tls.close();
  }

  /** Installs the negotiation in front of itself, then records the first handshake failure that passes. */
  private static final class Watch extends ChannelInboundHandlerAdapter {
    private final ChannelHandler negotiation;
    private final SecurityAudit audit;
    /** The handshake fails twice over (as an event and as a decoding error): one line per connection. */
    private boolean recorded;

    Watch(ChannelHandler negotiation, SecurityAudit audit) {
      this.negotiation = negotiation;
      this.audit = audit;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addBefore(ctx.name(), null, negotiation);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!recorded && !handshakeSucceeded(ctx)) {
        Refused refused = Refused.of(cause);
        if (refused != null) {
          recorded = true;
          audit.refused(SecurityAudit.Kind.AUTHENTICATION, refused.who(), PeerAddress.of(ctx.channel().remoteAddress()), SecurityAudit.TLS_HANDSHAKE, refused.reason());
        }
      }
      ctx.fireExceptionCaught(cause);
    }

    /** Whether this connection's handshake is done: a later TLS error is not a refused handshake. */
    private static boolean handshakeSucceeded(ChannelHandlerContext ctx) {
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      return ssl != null && ssl.handshakeFuture().isSuccess();
    }
  }

  /** A refused handshake as the audit states it. */
  record Refused(String who, String reason) {

    /**
     * The refusal {@code failure} stands for: a certificate the trust manager refused, another
     * TLS failure (no certificate, no common protocol), or a peer that did not speak TLS; null for
     * anything else (a connection closed before it said anything is not a refusal).
     */
    static Refused of(Throwable failure) {
      SSLException tls = null;
      for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (t instanceof FederationTrustManager.RefusedChain chain) {
          return new Refused(chain.subject(), chain.getMessage());
        }
        if (t instanceof NotSslRecordException) {
          return new Refused("unknown", "the client did not start a TLS handshake (plaintext?)");
        }
        if (t instanceof SSLException e) {
          tls = e;
        }
      }
      if (tls == null) {
        return null;
      }
      String message = String.valueOf(tls.getMessage());
      // the JDK's words when the client sent no certificate, which is also what a compliant
      // client does when it holds none issued by the CA the server asked for
      if (message.equals("Empty client certificate chain")) {
        return new Refused("unknown", "no client certificate issued by the federation's CA was presented");
      }
      return new Refused("unknown", message);
    }
  }
}
