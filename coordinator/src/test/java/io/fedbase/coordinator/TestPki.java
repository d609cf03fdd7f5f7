package io.fedbase.coordinator;

import io.fedbase.coordinator.transport.AccessControl;
import io.fedbase.coordinator.transport.CertificateAuthenticator;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A federation's public-key infrastructure for a test: a fresh CA, a coordinator certificate for
 * loopback, one certificate per identity, the coordinator's mutual-TLS server with access control
 * (as {@code fedbase coordinator} builds it), and a channel per identity, closed with it.
 */
final class TestPki implements AutoCloseable {

  private final Path dir;
  private final CertificateAuthority ca;
  private final List<ManagedChannel> channels = new ArrayList<>();

  TestPki(Path dir, Map<String, Role> identities) throws IOException {
    this.dir = dir;
    this.ca = CertificateAuthority.init(dir.resolve("ca"), "test CA", Duration.ofDays(30), Clock.systemUTC());
    write(ca.issue(new Identity("coordinator", Role.COORDINATOR), List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(1)));
    for (Map.Entry<String, Role> e : identities.entrySet()) {
      write(ca.issue(new Identity(e.getKey(), e.getValue()), List.of(), List.of(), Duration.ofDays(1)));
    }
  }

  /** The coordinator's server on a free loopback port: mutual TLS, the CA's revocation list, access control. */
  NettyServerBuilder serverBuilder() throws IOException {
    return TransportLimits.apply(
            NettyServerBuilder.forAddress(
                new InetSocketAddress("127.0.0.1", 0),
                TlsServerCredentials.newBuilder()
                    .keyManager(pem("coordinator").toFile(), key("coordinator").toFile())
                    .trustManager(caPem().toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build()))
        .intercept(new AccessControl(new CertificateAuthenticator(ca.certificate(), dir.resolve("ca").resolve(CertificateAuthority.CRL))));
  }

  /** A channel to {@code port} that presents {@code id}'s certificate. */
  ManagedChannel channel(int port, String id) {
    try {
      ManagedChannel c =
          NettyChannelBuilder.forAddress(
                  "127.0.0.1", port, TlsChannelCredentials.newBuilder().trustManager(caPem().toFile()).keyManager(pem(id).toFile(), key(id).toFile()).build())
              .maxInboundMessageSize(16 << 20)
              .build();
      channels.add(c);
      return c;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  void revoke(String id) throws IOException {
    ca.revoke(id);
  }

  private void write(IssuedCertificate issued) throws IOException {
    Pem.write(pem(issued.identity().id()), issued.certificate());
    Pem.writePrivateKey(key(issued.identity().id()), issued.key());
  }

  private Path pem(String id) {
    return dir.resolve("pki").resolve(id + ".pem");
  }

  private Path key(String id) {
    return dir.resolve("pki").resolve(id + ".key");
  }

  private Path caPem() {
    return dir.resolve("ca").resolve(CertificateAuthority.CERTIFICATE);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
  }
}
