package io.fedbase.coordinator;

import io.fedbase.coordinator.transport.CertificateAuthenticator;
import io.fedbase.coordinator.transport.MutualTls;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * A federation's CA in a directory, with certificates for the coordinator (localhost) and for
 * {@code identities}, and TLS on both sides built from them as the coordinator and nodes build it.
 */
final class TestPki implements AutoCloseable {

  final Path dir;
  final CertificateAuthority ca;
  private final List<ManagedChannel> channels = new java.util.concurrent.CopyOnWriteArrayList<>();

  TestPki(Path dir, Identity... identities) throws IOException {
    this.dir = dir;
    this.ca = CertificateAuthority.init(dir.resolve("ca"), "test CA", Duration.ofDays(30), Clock.systemUTC());
    write(ca.issue(new Identity("coordinator", Role.COORDINATOR), List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)));
    for (Identity identity : identities) {
      write(ca.issue(identity, List.of(), List.of(), Duration.ofDays(1)));
    }
  }

  /**
   * A Netty server on a free loopback port: mutual TLS, access control recording its refusals in
   * {@code audit}, and the transport limits, as in production.
   */
  NettyServerBuilder server(SecurityAudit audit) throws IOException {
    return TransportLimits.apply(
        MutualTls.serverBuilder(
            new InetSocketAddress("127.0.0.1", 0),
            pem("coordinator").toFile(),
            key("coordinator").toFile(),
            new CertificateAuthenticator(ca.certificate(), crl()),
            audit));
  }

  /** A channel to {@code port} presenting {@code id}'s certificate; shut down with this. */
  ManagedChannel channel(int port, String id) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials(id)).maxInboundMessageSize(16 << 20).build();
    channels.add(c);
    return c;
  }

  ChannelCredentials credentials(String id) {
    try {
      return TlsChannelCredentials.newBuilder().trustManager(caPem().toFile()).keyManager(pem(id).toFile(), key(id).toFile()).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void write(IssuedCertificate issued) throws IOException {
    Pem.write(pem(issued.identity().id()), issued.certificate());
    Pem.writePrivateKey(key(issued.identity().id()), issued.key());
  }

  Path pem(String id) {
    return dir.resolve("pki").resolve(id + ".pem");
  }

  Path key(String id) {
    return dir.resolve("pki").resolve(id + ".key");
  }

  Path caPem() {
    return dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE);
  }

  Path crl() {
    return dir.resolve("ca").resolve(CertificateAuthority.CRL);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
