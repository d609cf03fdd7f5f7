package io.fedbase.coordinator.transport;

import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.NettyServerBuilder;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The coordinator's Netty server with mutual TLS: its own certificate, a client certificate
 * required and chained to the federation's CA, every call authorised by {@link AccessControl}, and
 * every refused handshake and call recorded in the {@link SecurityAudit}.
 *
 * <p>This is what {@code TlsServerCredentials} with {@code ClientAuth.REQUIRE} builds, plus the
 * audit of refused handshakes, which needs the TLS context and negotiator in hand ({@link
 * HandshakeAudit}). One difference: TLS work that {@code TlsServerCredentials} hands to gRPC's
 * offload executor runs on the connection's event loop here, which for a coordinator's few dozen
 * connections is no cost worth a thread pool.
 */
public final class MutualTls {

  private MutualTls() {}

  /**
   * A server builder bound to {@code address}, without the transport limits ({@link
   * TransportLimits#apply}).
   *
   * @param certificateChain the coordinator's certificate (PEM)
   * @param privateKey its key (PEM, unencrypted)
   * @param authenticator the federation's CA and revocation list
   * @throws IOException if the certificate or key cannot be read or used
   */
  public static NettyServerBuilder serverBuilder(
      InetSocketAddress address, File certificateChain, File privateKey, CertificateAuthenticator authenticator, SecurityAudit audit) throws IOException {
    SslContext tls =
        GrpcSslContexts.forServer(certificateChain, privateKey)
            .trustManager(new FederationTrustManager(authenticator.authority()))
            .clientAuth(ClientAuth.REQUIRE)
            .build();
    return NettyServerBuilder.forAddress(address)
        .protocolNegotiator(new HandshakeAudit(InternalProtocolNegotiators.serverTls(tls), audit))
        .intercept(new AccessControl(authenticator, audit));
  }
}
