package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.aggregate.NormBound;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.AdminGrpc;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.PauseRoundsRequest;
import io.fedbase.security.Identity;
import io.fedbase.security.Role;
import io.fedbase.wire.Refusal;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bytes that are not a message of the request's type, sent over mutual TLS on loopback by callers
 * with every kind of certificate: each is refused INVALID_ARGUMENT with a short reason and leaves
 * one log line, no stack trace, and the server serves the next call.
 */
class UndecodableMessagesTest {

  /** Field 1 as a string of two bytes that are not UTF-8. */
  private static final byte[] INVALID_UTF8 = {0x0A, 0x02, (byte) 0xC3, 0x28};
  /** Field 1 as a varint whose last byte never comes. */
  private static final byte[] TRUNCATED_VARINT = {0x08, (byte) 0xFF, (byte) 0xFF};
  private static final byte[] DEEP_GROUPS = RawCalls.DEEP_GROUPS;

  @TempDir Path dir;

  private TestPki pki;
  private FederationFixture fixture;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    pki = new TestPki(dir, new Identity("node-a", Role.NODE), new Identity("analyst", Role.READER), new Identity("ops", Role.OPERATOR));
    fixture = new FederationFixture(dir.resolve("state"), 1, 1, Duration.ofSeconds(30), 0, null, pki.server(SecurityAudit.toLog(kind -> {})), port -> pki.channel(port, "node-a"), NormBound.none());
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    fixture.close();
  }

  @Test
  void undecodableRequestsAreInvalidArgumentsWithOneLogLineEach() throws Exception {
    ManagedChannel node = channel("node-a");
    ManagedChannel reader = channel("analyst");
    ManagedChannel operator = channel("ops");
    try (LogCapture log = new LogCapture()) {
      List<StatusRuntimeException> refusals =
          List.of(
              RawCalls.send(node, FederationGrpc.getJoinMethod(), INVALID_UTF8),
              RawCalls.send(node, FederationGrpc.getSubmitUpdateMethod(), TRUNCATED_VARINT),
              RawCalls.send(node, FederationGrpc.getWatchRoundsMethod(), DEEP_GROUPS),
              RawCalls.send(reader, FederationGrpc.getGetStatusMethod(), TRUNCATED_VARINT),
              RawCalls.send(reader, FederationGrpc.getFetchPriorMethod(), DEEP_GROUPS),
              RawCalls.send(reader, HealthGrpc.getCheckMethod(), TRUNCATED_VARINT),
              RawCalls.send(operator, AdminGrpc.getPauseRoundsMethod(), INVALID_UTF8),
              RawCalls.send(operator, AdminGrpc.getRemoveNodeMethod(), DEEP_GROUPS));
      for (StatusRuntimeException e : refusals) {
        String description = e.getStatus().getDescription();
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals(Optional.of(Refusal.MALFORMED), Refusal.of(e), description);
        assertFalse(Refusal.retriable(e));
        assertTrue(description.length() < 300 && !description.contains("\n"), "short, one line: " + description);
      }
      assertTrue(refusals.get(0).getStatus().getDescription().contains("not a valid fedbase.v1.JoinRequest"), refusals.get(0).getStatus().getDescription());
      assertTrue(refusals.get(0).getStatus().getDescription().contains("UTF-8"), refusals.get(0).getStatus().getDescription());
      assertTrue(refusals.get(7).getStatus().getDescription().contains("nesting"), refusals.get(7).getStatus().getDescription());

      // one line each, no stack trace (gRPC logs those through java.util.logging; ours go to System.err)
      List<String> lines = log.lines("refused an undecodable");
      assertEquals(refusals.size(), lines.size(), String.join("\n", lines));
      assertTrue(lines.get(0).contains("Join request from 'node-a' at 127.0.0.1:"), lines.get(0));
      assertEquals(List.of(), log.stackTraces("io.grpc"), "no stack trace from gRPC");
      assertEquals(List.of(), log.lines("InvalidProtocolBufferException"), "no stack trace of the parse failure");
    }

    // the same connections serve the next calls
    assertEquals(0, FederationGrpc.newBlockingStub(node).withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());
    assertEquals(0, FederationGrpc.newBlockingStub(reader).withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()).getPriorVersion());
    assertTrue(AdminGrpc.newBlockingStub(operator).withDeadlineAfter(10, TimeUnit.SECONDS).pauseRounds(PauseRoundsRequest.newBuilder().setReason("after").build()).getPaused());
  }

  @Test
  void reflectionStillListsTheGuardedServices() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel("ops"))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    services.complete(r.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
                  }

                  @Override
                  public void onError(Throwable t) {
                    services.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    List<String> names = services.get(15, TimeUnit.SECONDS);
    assertTrue(names.containsAll(List.of("fedbase.v1.Federation", "fedbase.v1.Admin", "grpc.health.v1.Health")), names.toString());
  }

  private ManagedChannel channel(String id) {
    ManagedChannel c = pki.channel(fixture.server.port(), id);
    channels.add(c);
    return c;
  }
}
