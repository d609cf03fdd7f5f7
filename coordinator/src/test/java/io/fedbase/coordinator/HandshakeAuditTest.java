package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.fedbase.testing.Eventually;
import io.fedbase.testing.ManualTime;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS handshakes the coordinator refuses, from raw TLS clients on loopback (one handshake each,
 * where a gRPC channel would retry): each leaves exactly one audit line with the peer's address,
 * whose certificate it was when one reached the trust manager, and why; a probe that connects and
 * says nothing and a good client leave none.
 */
class HandshakeAuditTest {

  private static final String PEER = "peer=127\\.0\\.0\\.1:\\d+";
  private static final String HANDSHAKE = "audit outcome=refused kind=authentication ";

  @TempDir Path dir;

  @Test
  void everyRefusedHandshakeLeavesOneLineNamingPeerAndReason() throws Exception {
    TestPki pki = new TestPki(dir, new Identity("node-a", Role.NODE));
    CertificateAuthority foreign = CertificateAuthority.init(dir.resolve("foreign"), "other CA", Duration.ofDays(30), Clock.systemUTC());
    IssuedCertificate impostor = foreign.issue(new Identity("node-a", Role.NODE), List.of(), List.of(), Duration.ofDays(1));
    IssuedCertificate stale =
        CertificateAuthority.open(dir.resolve("ca"), Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC))
            .issue(new Identity("stale", Role.NODE), List.of(), List.of(), Duration.ofDays(1));
    List<String> audit = new CopyOnWriteArrayList<>();
    try (ManualTime time = new ManualTime();
        FederationFixture f =
            new FederationFixture(
                dir.resolve("state"), 1, 1, Duration.ofSeconds(30), 0, null,
                pki.server(new SecurityAudit(time.clock(), time.scheduler(), 20, audit::add, kind -> {})), port -> pki.channel(port, "node-a"), NormBound.none())) {
      int port = f.server.port();

      // a certificate from another CA: a client picks none for the CA the server asks for
      handshake(port, client(pki, keys(impostor)));
      expect(audit, 1, HANDSHAKE + "who=unknown " + PEER + " what=tls-handshake reason=\"no client certificate issued by the federation's CA was presented\"");

      // a connection that closes without a word is no refusal (a load balancer's TCP probe)
      new Socket("127.0.0.1", port).close();

      // no certificate at all
      handshake(port, client(pki, null));
      expect(audit, 2, HANDSHAKE + "who=unknown " + PEER + " what=tls-handshake reason=\"no client certificate issued by the federation's CA was presented\"");

      // a client that offers the other CA's certificate anyway: the trust manager names it
      handshake(port, client(pki, new KeyManager[] {new Offering(impostor)}));
      expect(audit, 3, HANDSHAKE + "who=\"O=fedbase,OU=node,CN=node-a\" " + PEER + " what=tls-handshake reason=\"the client certificate is not trusted: PKIX path building failed: .*\"");

      // a certificate of this CA that has expired
      handshake(port, client(pki, keys(stale)));
      expect(audit, 4, HANDSHAKE + "who=\"O=fedbase,OU=node,CN=stale\" " + PEER + " what=tls-handshake reason=\"the client certificate is not trusted: PKIX path validation failed: .*\"");

      // plaintext against the TLS port
      try (Socket plain = new Socket("127.0.0.1", port)) {
        plain.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        drain(plain.getInputStream());
      }
      expect(audit, 5, HANDSHAKE + "who=unknown " + PEER + " what=tls-handshake reason=\"the client did not start a TLS handshake \\(plaintext\\?\\)\"");

      // a good client is not audited
      assertEquals(0, f.blocking.getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());
      assertEquals(5, audit.size(), audit.toString());
    }
  }

  /** Waits for the {@code n}th line and checks it is the last so far and matches {@code regex}. */
  private static void expect(List<String> audit, int n, String regex) throws InterruptedException {
    Eventually.await("audit line " + n, Duration.ofSeconds(20), audit::size, size -> size >= n);
    assertEquals(n, audit.size(), "one line per refused handshake: " + audit);
    String line = audit.get(n - 1);
    assertTrue(line.matches(regex), "\n" + line + "\ndoes not match\n" + regex);
  }

  /** One TLS handshake as a gRPC client starts it (ALPN h2), then whatever the server says until it closes. */
  private static void handshake(int port, SSLContext client) throws IOException {
    try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", port)) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      // with TLS 1.3 the client learns that its certificate was refused only on reading
      socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      drain(socket.getInputStream());
    } catch (IOException expected) {
      // refused: the server's alert
    }
  }

  private static void drain(InputStream in) throws IOException {
    while (in.read() >= 0) {
      // until the server closes
    }
  }

  /** A client trusting the federation's CA, with {@code keys} (null: no certificate). */
  private static SSLContext client(TestPki pki, KeyManager[] keys) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", Pem.readCertificate(pki.caPem()));
    TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tm.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys, tm.getTrustManagers(), null);
    return context;
  }

  /** The JDK's key managers for {@code issued}: they offer it only to a server that asks for its issuer. */
  private static KeyManager[] keys(IssuedCertificate issued) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("client", issued.key(), new char[0], new Certificate[] {issued.certificate()});
    KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    km.init(store, new char[0]);
    return km.getKeyManagers();
  }

  /** A key manager that offers its certificate whatever issuers the server asks for, as a hostile client may. */
  private static final class Offering extends X509ExtendedKeyManager {
    private final X509Certificate certificate;
    private final PrivateKey key;

    Offering(IssuedCertificate issued) {
      this.certificate = issued.certificate();
      this.key = issued.key();
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "client";
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "client";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"client"};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return new X509Certificate[] {certificate};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return key;
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }
}
