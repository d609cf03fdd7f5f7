package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.security.Identity;
import io.fedbase.security.Role;
import io.fedbase.testing.ManualTime;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.prometheus.client.CollectorRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Refused calls over mutual TLS on loopback leave one structured audit line each, naming the
 * certificate, the peer, the method and the reason; successful calls leave none; and a flood
 * leaves at most the minute's budget and one summary, while the metric counts every refusal. The
 * audit's minute is a manual clock.
 */
class SecurityAuditTest {

  private static final String PEER = "peer=127\\.0\\.0\\.1:\\d+";

  @TempDir Path dir;

  private final ManualTime time = new ManualTime();
  private final List<String> audit = new CopyOnWriteArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final CollectorRegistry registry = new CollectorRegistry(true);
  private final CoordinatorMetrics metrics = new CoordinatorMetrics(registry);
  private TestPki pki;
  private FederationFixture fixture;

  @BeforeEach
  void start() throws Exception {
    pki = new TestPki(dir, new Identity("node-a", Role.NODE), new Identity("node-b", Role.NODE), new Identity("analyst", Role.READER));
    fixture =
        new FederationFixture(
            dir.resolve("state"),
            1,
            1,
            Duration.ofSeconds(30),
            0,
            null,
            pki.server(new SecurityAudit(time.clock(), time.scheduler(), 20, audit::add, metrics)),
            port -> pki.channel(port, "node-a"),
            NormBound.none());
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    fixture.close();
    time.close();
  }

  @Test
  void aReaderCallingANodeMethodIsAuditedWithItsIdAndTheMethod() throws Exception {
    FederationGrpc.FederationBlockingStub reader = stub("analyst");
    assertEquals(0, reader.getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());
    assertEquals(List.of(), audit, "a successful call is not audited");

    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> reader.join(JoinRequest.newBuilder().setNodeId("analyst").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(1, audit.size(), audit.toString());
    assertMatches(
        "audit outcome=refused kind=authorization who=analyst " + PEER
            + " what=fedbase\\.v1\\.Federation/Join reason=\"'analyst' holds a reader certificate, which may not call Join\"",
        audit.get(0));
  }

  @Test
  void aNodeActingAsAnotherIsAuditedAndWhatItClaimsStaysOneQuotedValue() throws Exception {
    assertThrows(StatusRuntimeException.class, () -> fixture.blocking.join(JoinRequest.newBuilder().setNodeId("node-b").build()));
    assertThrows(StatusRuntimeException.class, () -> fixture.blocking.join(JoinRequest.newBuilder().setNodeId("x\" who=node-b\nforged line").build()));
    assertEquals(2, audit.size(), audit.toString());
    assertMatches(
        "audit outcome=refused kind=authorization who=node-a " + PEER
            + " what=fedbase\\.v1\\.Federation/Join reason=\"the certificate of 'node-a' may not act as node 'node-b'\"",
        audit.get(0));
    assertMatches(
        "audit outcome=refused kind=authorization who=node-a " + PEER
            + " what=fedbase\\.v1\\.Federation/Join reason=\"the certificate of 'node-a' may not act as node 'x\\\\\" who=node-b\\\\\\\\u000aforged line'\"",
        audit.get(1));
  }

  @Test
  void aRevokedCertificateIsAuditedAsAuthentication() throws Exception {
    FederationGrpc.FederationBlockingStub b = stub("node-b");
    b.getStatus(GetStatusRequest.getDefaultInstance());
    pki.ca.revoke("node-b");
    assertEquals(Status.Code.UNAUTHENTICATED, assertThrows(StatusRuntimeException.class, () -> b.getStatus(GetStatusRequest.getDefaultInstance())).getStatus().getCode());
    assertEquals(1, audit.size(), audit.toString());
    assertMatches(
        "audit outcome=refused kind=authentication who=node-b " + PEER
            + " what=fedbase\\.v1\\.Federation/GetStatus reason=\"the client certificate \\(serial [0-9a-f]+\\) has been revoked\"",
        audit.get(0));
  }

  @Test
  void aThousandRefusalsInAMinuteLeaveTheBudgetAndOneSummary() throws Exception {
    FederationGrpc.FederationBlockingStub reader = stub("analyst");
    for (int i = 0; i < 1000; i++) {
      assertThrows(StatusRuntimeException.class, () -> reader.join(JoinRequest.newBuilder().setNodeId("analyst").build()));
    }
    assertEquals(20, audit.size(), "the minute's budget");
    assertTrue(audit.stream().allMatch(l -> l.startsWith("audit outcome=refused kind=authorization who=analyst ")));

    // another kind has its own budget
    FederationGrpc.FederationBlockingStub b = stub("node-b");
    pki.ca.revoke("node-b");
    assertThrows(StatusRuntimeException.class, () -> b.getStatus(GetStatusRequest.getDefaultInstance()));
    assertEquals(21, audit.size());
    assertTrue(audit.get(20).contains("kind=authentication who=node-b"), audit.get(20));

    // when the minute is over, one line sums up the rest
    time.advance(Duration.ofSeconds(59));
    time.settle();
    assertEquals(21, audit.size(), "not before the minute is over");
    time.advance(Duration.ofSeconds(1));
    time.settle();
    assertEquals(List.of("audit suppressed=980 kind=authorization in the last minute"), audit.subList(21, audit.size()));
    assertEquals(1000.0, refusals("authorization"), "the metric counts what the log suppressed");
    assertEquals(1.0, refusals("authentication"));

    // and the next minute writes again
    assertThrows(StatusRuntimeException.class, () -> reader.join(JoinRequest.newBuilder().setNodeId("analyst").build()));
    assertEquals(23, audit.size());
    assertTrue(audit.get(22).startsWith("audit outcome=refused kind=authorization who=analyst "), audit.get(22));
  }

  private double refusals(String kind) {
    return registry.getSampleValue("fedbase_access_refused_total", new String[] {"kind"}, new String[] {kind});
  }

  private static void assertMatches(String regex, String line) {
    assertTrue(line.matches(regex), "\n" + line + "\ndoes not match\n" + regex);
  }

  private FederationGrpc.FederationBlockingStub stub(String id) {
    ManagedChannel c = pki.channel(fixture.server.port(), id);
    channels.add(c);
    return FederationGrpc.newBlockingStub(c).withDeadlineAfter(60, TimeUnit.SECONDS);
  }
}
