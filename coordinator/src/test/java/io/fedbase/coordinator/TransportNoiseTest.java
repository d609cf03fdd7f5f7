package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.security.Identity;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.fedbase.testing.Eventually;
import io.grpc.Status;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Peers that break the protocol over mutual TLS on loopback: what gRPC's transport would log with
 * a stack trace takes one line, and records it does not know (a SEVERE one above all) still pass.
 */
class TransportNoiseTest {

  @TempDir Path dir;

  @Test
  void aPeerBreakingTheProtocolCostsOneLogLineAndNoStackTrace() throws Exception {
    TestPki pki = new TestPki(dir, new Identity("node-a", Role.NODE));
    try (FederationFixture f =
            new FederationFixture(dir.resolve("state"), 1, 1, Duration.ofSeconds(30), 0, null, pki.server(SecurityAudit.toLog(kind -> {})), port -> pki.channel(port, "node-a"), NormBound.none());
        LogCapture log = new LogCapture()) {
      // HTTP/1 over a TLS connection with a valid certificate: an HTTP/2 connection error
      try (SSLSocket socket = (SSLSocket) tls(pki, "node-a").getSocketFactory().createSocket("127.0.0.1", f.server.port())) {
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setApplicationProtocols(new String[] {"h2"});
        socket.setSSLParameters(parameters);
        socket.getOutputStream().write("GET /secret HTTP/1.1\r\nHost: coordinator\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        while (in.read() >= 0) {
          // the server answers with a GOAWAY and closes
        }
      }
      // a message over the transport's limit: the stream cannot be read
      List<UpdateChunk> huge = List.of(UpdateChunk.newBuilder().setData(ByteString.copyFrom(new byte[5 << 20])).build());
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, Status.fromThrowable(assertThrows(Exception.class, () -> f.send(huge))).getCode());

      List<String> transport =
          Eventually.await("the connection's line", Duration.ofSeconds(20), () -> log.lines("TransportNoise - Transport failed"), l -> !l.isEmpty());
      assertEquals(1, transport.size(), transport.toString());
      assertTrue(transport.get(0).endsWith("Transport failed: Http2Exception: Unexpected HTTP/1.x request: GET /secret "), transport.get(0));
      List<String> message = log.lines("TransportNoise - Exception processing message");
      assertEquals(1, message.size(), message.toString());
      assertTrue(message.get(0).contains("RESOURCE_EXHAUSTED: gRPC message exceeds maximum size"), message.get(0));
      assertEquals(List.of(), log.stackTraces("io.grpc"), "gRPC logged no stack trace");

      // the server still serves
      assertEquals(0, f.blocking.getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());

      // what the filters do not know passes unchanged: a SEVERE record, another message
      Logger connections = Logger.getLogger("io.grpc.netty.NettyServerTransport.connections");
      connections.log(Level.SEVERE, "Transport failed", new IllegalStateException("a bug of ours"));
      connections.log(Level.WARNING, "Something else", new IllegalStateException("also unknown"));
      List<String> passed = log.stackTraces("io.grpc.netty").stream().map(LogRecord::getMessage).toList();
      assertEquals(List.of("Transport failed", "Something else"), passed);
    }
  }

  /** A client TLS context presenting {@code id}'s certificate and trusting the federation's CA. */
  private static SSLContext tls(TestPki pki, String id) throws Exception {
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(id, Pem.readPrivateKey(pki.key(id)), new char[0], new Certificate[] {Pem.readCertificate(pki.pem(id))});
    KeyManagerFactory km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    km.init(keys, new char[0]);
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", pki.ca.certificate());
    TrustManagerFactory tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tm.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(km.getKeyManagers(), tm.getTrustManagers(), null);
    return context;
  }
}
