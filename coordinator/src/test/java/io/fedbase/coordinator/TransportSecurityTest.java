package io.fedbase.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.GetStatusRequest;
import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateHeader;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.fedbase.wire.Refusal;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
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
 * Mutual TLS and access control on a real Netty server on loopback: who may connect, who may call
 * what, as whom, and that a revocation takes effect on the next call. Every refused call leaves the
 * prior untouched.
 */
class TransportSecurityTest {

  @TempDir Path dir;

  private TestPki pki;
  private CertificateAuthority ca;
  private FederationFixture fixture;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    pki =
        new TestPki(
            dir,
            new Identity("node-a", Role.NODE),
            new Identity("node-b", Role.NODE),
            new Identity("analyst", Role.READER),
            new Identity("ops", Role.OPERATOR));
    ca = pki.ca;
    fixture =
        new FederationFixture(
            dir.resolve("state"), 1, 1, Duration.ofSeconds(30), 0, null, pki.server(SecurityAudit.toLog(kind -> {})), port -> channel(port, credentials("node-a")),
            io.fedbase.coordinator.aggregate.NormBound.none());
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    fixture.close();
  }

  @Test
  void nodesActOnlyAsThemselvesAndReadersOnlyRead() throws Exception {
    FederationFixture.Node a = fixture.new Node("node-a");
    RoundAssignment assignment = a.nextAssignment();
    byte[] before = FederationFixture.bytesOf(fixture.coordinator.current().prior());

    StatusRuntimeException joinAsOther =
        assertThrows(StatusRuntimeException.class, () -> fixture.blocking.join(JoinRequest.newBuilder().setNodeId("node-b").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, joinAsOther.getStatus().getCode());
    assertTrue(joinAsOther.getStatus().getDescription().contains("may not act as node 'node-b'"), joinAsOther.getStatus().getDescription());
    assertEquals(Optional.of(Refusal.NOT_PERMITTED), Refusal.of(joinAsOther), "the typed reason crosses the wire in the status details");
    assertFalse(Refusal.retriable(joinAsOther));

    UpdateHeader asOther = a.header(assignment, 2).setNodeId("node-b").build();
    Exception submitAsOther =
        assertThrows(Exception.class, () -> fixture.send(FederationFixture.chunks(asOther, FederationFixture.bytesOf(FederationFixture.randomDelta(1, 0.01f)), null)));
    assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(submitAsOther).getCode());

    FederationGrpc.FederationBlockingStub reader = stub("analyst");
    assertTrue(reader.getStatus(GetStatusRequest.getDefaultInstance()).getConnectedNodesList().contains("node-a"), "a reader may read the status");
    StatusRuntimeException readerJoins =
        assertThrows(StatusRuntimeException.class, () -> reader.join(JoinRequest.newBuilder().setNodeId("analyst").build()));
    assertEquals(Status.Code.PERMISSION_DENIED, readerJoins.getStatus().getCode());
    assertEquals(Optional.of(Refusal.NOT_PERMITTED), Refusal.of(readerJoins));
    assertTrue(readerJoins.getStatus().getDescription().contains("reader certificate"), readerJoins.getStatus().getDescription());

    java.util.Iterator<io.fedbase.proto.v1.PriorChunk> prior =
        reader.fetchPrior(io.fedbase.proto.v1.FetchPriorRequest.newBuilder().setVersion(0).build());
    assertTrue(prior.next().hasHeader(), "a reader may fetch priors");
    StatusRuntimeException readerWatches =
        assertThrows(
            StatusRuntimeException.class,
            () -> reader.watchRounds(io.fedbase.proto.v1.WatchRoundsRequest.newBuilder().setNodeId("analyst").build()).next());
    assertEquals(Status.Code.PERMISSION_DENIED, readerWatches.getStatus().getCode(), "only nodes watch rounds");
    assertEquals(Status.Code.PERMISSION_DENIED, reflect(credentials("node-a")), "reflection is for operators");
    StatusRuntimeException readerPauses =
        assertThrows(
            StatusRuntimeException.class,
            () -> io.fedbase.proto.v1.AdminGrpc.newBlockingStub(channel(fixture.server.port(), credentials("analyst")))
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .pauseRounds(io.fedbase.proto.v1.PauseRoundsRequest.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, readerPauses.getStatus().getCode(), "admin calls are for operators");
    io.fedbase.proto.v1.AdminGrpc.AdminBlockingStub operator =
        io.fedbase.proto.v1.AdminGrpc.newBlockingStub(channel(fixture.server.port(), credentials("ops"))).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertTrue(operator.pauseRounds(io.fedbase.proto.v1.PauseRoundsRequest.newBuilder().setReason("audit").build()).getPaused());
    assertTrue(!operator.resumeRounds(io.fedbase.proto.v1.ResumeRoundsRequest.getDefaultInstance()).getPaused());
    assertEquals(Status.Code.OK, reflect(credentials("ops")));

    assertEquals(0, fixture.coordinator.current().version());
    assertArrayEquals(before, FederationFixture.bytesOf(fixture.coordinator.current().prior()), "refused calls leave the prior bit-identical");
    // the honest upload still counts
    assertEquals(assignment.getRound(), a.submit(assignment, FederationFixture.randomDelta(2, 0.01f), 2).getRound());
  }

  @Test
  void badInputOverTheRealTransportIsRefusedWithItsStatusAndChangesNothing() throws Exception {
    FederationFixture.Node a = fixture.new Node("node-a");
    RoundAssignment assignment = a.nextAssignment();
    byte[] before = FederationFixture.bytesOf(fixture.coordinator.current().prior());
    byte[] payload = FederationFixture.bytesOf(FederationFixture.randomDelta(5, 0.01f));
    UpdateHeader header = a.header(assignment, 2).build();

    // a reader may not submit, even naming no one
    assertEquals(Status.Code.PERMISSION_DENIED, submitAs("analyst", FederationFixture.chunks(header.toBuilder().setNodeId("analyst").build(), payload, null)));
    // a message beyond the transport's limit
    List<io.fedbase.proto.v1.UpdateChunk> huge = new ArrayList<>();
    huge.add(io.fedbase.proto.v1.UpdateChunk.newBuilder().setHeader(header).build());
    huge.add(io.fedbase.proto.v1.UpdateChunk.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[5 << 20])).build());
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, submitAs("node-a", huge));
    // a chunk within the transport's limit but beyond the protocol's 1 MiB
    List<io.fedbase.proto.v1.UpdateChunk> big = new ArrayList<>();
    big.add(io.fedbase.proto.v1.UpdateChunk.newBuilder().setHeader(header).build());
    big.add(io.fedbase.proto.v1.UpdateChunk.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[2 << 20])).build());
    assertEquals(Status.Code.INVALID_ARGUMENT, submitAs("node-a", big));
    // a NaN in the payload
    byte[] nan = payload.clone();
    java.nio.ByteBuffer.wrap(nan).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(400, Float.NaN);
    assertEquals(Status.Code.INVALID_ARGUMENT, submitAs("node-a", FederationFixture.chunks(header, nan, null)));
    // bytes that are not an UpdateChunk at all
    assertEquals(Status.Code.INVALID_ARGUMENT, malformedProtobuf(), "a malformed message is refused as such");

    assertArrayEquals(before, FederationFixture.bytesOf(fixture.coordinator.current().prior()), "the prior is bit-identical");
    assertEquals(1, a.submit(assignment, FederationFixture.randomDelta(5, 0.01f), 2).getAcceptedInRound(), "the server still serves");
  }

  private Status.Code submitAs(String id, List<io.fedbase.proto.v1.UpdateChunk> chunks) throws Exception {
    CompletableFuture<Status.Code> result = new CompletableFuture<>();
    StreamObserver<io.fedbase.proto.v1.UpdateChunk> requests =
        FederationGrpc.newStub(channel(fixture.server.port(), credentials(id)))
            .withDeadlineAfter(20, TimeUnit.SECONDS)
            .submitUpdate(
                new StreamObserver<>() {
                  @Override
                  public void onNext(io.fedbase.proto.v1.UpdateReceipt r) {
                    result.complete(Status.Code.OK);
                  }

                  @Override
                  public void onError(Throwable t) {
                    result.complete(Status.fromThrowable(t).getCode());
                  }

                  @Override
                  public void onCompleted() {}
                });
    for (io.fedbase.proto.v1.UpdateChunk c : chunks) {
      requests.onNext(c);
    }
    requests.onCompleted();
    return result.get(30, TimeUnit.SECONDS);
  }

  /** Sends raw bytes that do not parse as an UpdateChunk to SubmitUpdate. */
  private Status.Code malformedProtobuf() throws Exception {
    io.grpc.MethodDescriptor.Marshaller<byte[]> raw =
        new io.grpc.MethodDescriptor.Marshaller<>() {
          @Override
          public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(java.io.InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        };
    io.grpc.MethodDescriptor<byte[], byte[]> method =
        io.grpc.MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
            .setFullMethodName(FederationGrpc.getSubmitUpdateMethod().getFullMethodName())
            .setRequestMarshaller(raw)
            .setResponseMarshaller(raw)
            .build();
    ManagedChannel c = channel(fixture.server.port(), credentials("node-a"));
    io.grpc.ClientCall<byte[], byte[]> call = c.newCall(method, io.grpc.CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<Status.Code> result = new CompletableFuture<>();
    call.start(
        new io.grpc.ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, io.grpc.Metadata trailers) {
            result.complete(status.getCode());
          }
        },
        new io.grpc.Metadata());
    call.request(1);
    call.sendMessage(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01, 0x02});
    call.halfClose();
    return result.get(30, TimeUnit.SECONDS);
  }

  @Test
  void connectionsWithoutAValidCertificateOfThisFederationFail() throws Exception {
    CertificateAuthority foreign = CertificateAuthority.init(dir.resolve("foreign"), "other CA", Duration.ofDays(30), Clock.systemUTC());
    IssuedCertificate impostor = foreign.issue(new Identity("node-a", Role.NODE), List.of(), List.of(), Duration.ofDays(1));
    Pem.write(dir.resolve("impostor.pem"), impostor.certificate());
    Pem.writePrivateKey(dir.resolve("impostor.key"), impostor.key());
    CertificateAuthority past =
        CertificateAuthority.open(dir.resolve("ca"), Clock.fixed(Instant.now().minus(Duration.ofDays(3)), ZoneOffset.UTC));
    write(past.issue(new Identity("stale", Role.NODE), List.of(), List.of(), Duration.ofDays(1)));

    int port = fixture.server.port();
    for (ChannelCredentials creds :
        List.of(
            InsecureChannelCredentials.create(),
            TlsChannelCredentials.newBuilder().trustManager(caPem().toFile()).build(),
            TlsChannelCredentials.newBuilder().trustManager(caPem().toFile()).keyManager(dir.resolve("impostor.pem").toFile(), dir.resolve("impostor.key").toFile()).build(),
            credentials("stale"))) {
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> FederationGrpc.newBlockingStub(channel(port, creds)).withDeadlineAfter(10, TimeUnit.SECONDS).getStatus(GetStatusRequest.getDefaultInstance()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "the handshake refuses it: " + e.getStatus());
    }
  }

  @Test
  void aRevokedCertificateIsRefusedFromTheNextCallOn() throws Exception {
    FederationGrpc.FederationBlockingStub b = stub("node-b");
    b.getStatus(GetStatusRequest.getDefaultInstance());
    ca.revoke("node-b");
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> b.getStatus(GetStatusRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("revoked"), e.getStatus().getDescription());
    stub("node-a").getStatus(GetStatusRequest.getDefaultInstance());
  }

  @Test
  void aRevocationEndsTheNodesOpenStreamAndTheRoundGoesOnWithoutIt() throws Exception {
    FederationFixture.Node a = fixture.new Node("node-a");
    a.nextAssignment();
    assertTrue(fixture.coordinator.status().connectedNodes().contains("node-a"));
    ca.revoke("node-a");
    // the stream opened before the revocation ends within one keep-alive interval (200 ms here)
    java.util.concurrent.ExecutionException ended =
        assertThrows(java.util.concurrent.ExecutionException.class, () -> a.ended.get(20, TimeUnit.SECONDS));
    assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(ended.getCause()).getCode());
    assertEquals(java.util.Optional.of(Refusal.REMOVED), Refusal.of(ended.getCause()));
    assertTrue(Status.fromThrowable(ended.getCause()).getDescription().contains("revoked"));
    assertFalse(fixture.coordinator.status().connectedNodes().contains("node-a"), "no longer counted as connected, nor selected");
    // the round it was selected for no longer waits for it: it ends (without a quorum) long before its 30 s deadline
    assertFalse(
        io.fedbase.testing.Eventually.await("the round's end", Duration.ofSeconds(20), fixture.coordinator::status, st -> !st.recentRounds().isEmpty())
            .recentRounds()
            .get(0)
            .committed());
  }

  @Test
  void aRevocationEndsTheNodesUploadInFlight() throws Exception {
    FederationFixture.Node a = fixture.new Node("node-a");
    io.fedbase.proto.v1.RoundAssignment assignment = a.nextAssignment();
    CompletableFuture<io.fedbase.proto.v1.UpdateReceipt> receipt = new CompletableFuture<>();
    StreamObserver<io.fedbase.proto.v1.UpdateChunk> upload = fixture.openUpload(receipt);
    List<io.fedbase.proto.v1.UpdateChunk> chunks =
        FederationFixture.chunks(a.header(assignment, 2).build(), FederationFixture.bytesOf(FederationFixture.randomDelta(1, 0.01f)), null);
    upload.onNext(chunks.get(0));
    upload.onNext(chunks.get(1));
    ca.revoke("node-a");
    // cut off by the revocation, not by its 30 s idle timeout or the round's deadline
    java.util.concurrent.ExecutionException cut =
        assertThrows(java.util.concurrent.ExecutionException.class, () -> receipt.get(20, TimeUnit.SECONDS));
    assertEquals(java.util.Optional.of(Refusal.REMOVED), Refusal.of(cut.getCause()), String.valueOf(cut.getCause()));
    assertTrue(Status.fromThrowable(cut.getCause()).getDescription().contains("revoked"));
  }

  private Status.Code reflect(ChannelCredentials creds) throws Exception {
    CompletableFuture<Status.Code> result = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel(fixture.server.port(), creds))
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse r) {
                    result.complete(Status.Code.OK);
                  }

                  @Override
                  public void onError(Throwable t) {
                    result.complete(Status.fromThrowable(t).getCode());
                  }

                  @Override
                  public void onCompleted() {
                    result.complete(Status.Code.OK);
                  }
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();
    return result.get(15, TimeUnit.SECONDS);
  }

  private FederationGrpc.FederationBlockingStub stub(String id) throws IOException {
    return FederationGrpc.newBlockingStub(channel(fixture.server.port(), credentials(id))).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private ManagedChannel channel(int port, ChannelCredentials creds) {
    ManagedChannel c = NettyChannelBuilder.forAddress("127.0.0.1", port, creds).build();
    channels.add(c);
    return c;
  }

  private ChannelCredentials credentials(String id) {
    return pki.credentials(id);
  }

  private void write(IssuedCertificate issued) throws IOException {
    pki.write(issued);
  }

  private Path caPem() {
    return pki.caPem();
  }
}
