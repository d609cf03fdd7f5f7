package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.LAYOUT;
import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static io.fedbase.coordinator.RoundProtocolTest.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleCodec;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.coordinator.store.CheckpointStore;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.PriorChunk;
import io.fedbase.proto.v1.PriorHeader;
import io.fedbase.proto.v1.StatusResponse;
import io.fedbase.space.SupernetSpec;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Restarts from the state directory and resumable prior downloads. */
class RecoveryAndFetchTest {

  @TempDir Path dir;

  private void commitRounds(FederationFixture f, FederationFixture.Node node, int rounds) throws Exception {
    for (int r = 0; r < rounds; r++) {
      node.submit(node.nextAssignment(), randomDelta(100 + r, 0.01f), 2);
      long version = r + 1;
      awaitStatus(f, s -> s.getPriorVersion() == version);
    }
  }

  @Test
  void aRestartedCoordinatorResumesAtItsVersionAndRound() throws Exception {
    Bundle second;
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      commitRounds(f, f.new Node("a"), 2);
      second = f.coordinator.current().prior();
    }
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      StatusResponse s = f.blocking.getStatus(io.fedbase.proto.v1.GetStatusRequest.getDefaultInstance());
      assertEquals(2, s.getPriorVersion());
      assertEquals(3, s.getRound(), "the next round after two committed ones");
      assertArrayEquals(second.toArray(), f.coordinator.current().prior().toArray(), 0f);
      FederationFixture.Node a = f.new Node("a");
      var assignment = a.nextAssignment();
      assertEquals(3, assignment.getRound());
      assertEquals(2, assignment.getPriorVersion());
    }
  }

  @Test
  void aTornNewestPriorIsSkippedAndTheLastValidOneLoaded() throws Exception {
    Bundle first;
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      FederationFixture.Node a = f.new Node("a");
      commitRounds(f, a, 1);
      first = f.coordinator.current().prior();
      commitRounds2(f, a);
    }
    Path newest = dir.resolve("prior-v00000002.fbb");
    byte[] bytes = Files.readAllBytes(newest);
    Files.write(newest, Arrays.copyOf(bytes, bytes.length / 2));
    var loaded = new CheckpointStore(dir, LAYOUT).loadNewest().orElseThrow();
    assertEquals(1, loaded.version());
    assertArrayEquals(first.toArray(), loaded.prior().toArray(), 0f);

    Files.writeString(dir.resolve("state.json"), "{ not json");
    assertEquals(1, new CheckpointStore(dir, LAYOUT).loadNewest().orElseThrow().version(), "a corrupt state file falls back to a scan");

    SupernetSpec other = SupernetSpec.profileBuilder("small").setChannels(4).build();
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      assertEquals(1, f.coordinator.current().version());
    }
    IOException wrongModel =
        assertThrows(IOException.class, () -> new CheckpointStore(dir, io.fedbase.bundle.BundleLayout.of(other)).loadNewest());
    assertTrue(wrongModel.getMessage().contains("use another state directory"), wrongModel.getMessage());
    commitRoundsFresh(dir.resolve("fresh-run"));
    Files.writeString(dir.resolve("fresh-run").resolve("state.json"), "{}");
    IOException otherState =
        assertThrows(IOException.class, () -> new CheckpointStore(dir.resolve("fresh-run"), io.fedbase.bundle.BundleLayout.of(other)).loadNewest());
    assertTrue(otherState.getMessage().contains("use another state directory"), otherState.getMessage());
    IOException namedOther =
        assertThrows(IOException.class, () -> new CheckpointStore(dir, io.fedbase.bundle.BundleLayout.of(other)).loadNewest());
    assertTrue(namedOther.getMessage().contains("use another state directory"), namedOther.getMessage());
  }

  private void commitRoundsFresh(Path fresh) throws Exception {
    try (FederationFixture f = new FederationFixture(fresh, 1, 1, Duration.ofSeconds(30), 0)) {
      assertEquals(0, f.coordinator.current().version());
    }
  }

  private void commitRounds2(FederationFixture f, FederationFixture.Node a) throws Exception {
    a.submit(a.nextAssignment(), randomDelta(200, 0.01f), 2);
    awaitStatus(f, s -> s.getPriorVersion() == 2);
  }

  @Test
  void aFetchResumedAtAnOffsetYieldsTheIdenticalBundle() throws Exception {
    try (FederationFixture f = new FederationFixture(dir, 1, 1, Duration.ofSeconds(30), 0)) {
      commitRounds(f, f.new Node("a"), 1);
      Fetched whole = fetch(f, 1, 0);
      assertEquals(Files.size(dir.resolve("prior-v00000001.fbb")), whole.header.getTotalBytes());
      assertArrayEquals(Files.readAllBytes(dir.resolve("prior-v00000001.fbb")), whole.bytes);
      assertEquals(FederationFixture.sha256(whole.bytes), whole.header.getSha256());

      int cut = whole.bytes.length / 3 + 7;
      Fetched rest = fetch(f, 1, cut);
      assertEquals(cut, rest.header.getOffset());
      ByteArrayOutputStream joined = new ByteArrayOutputStream();
      joined.write(whole.bytes, 0, cut);
      joined.write(rest.bytes);
      assertArrayEquals(whole.bytes, joined.toByteArray());
      Bundle viaResume = BundleCodec.read(new ByteArrayInputStream(joined.toByteArray()), LAYOUT, "resumed").bundle();
      assertArrayEquals(BundleFiles.read(dir.resolve("prior-v00000001.fbb"), LAYOUT).bundle().toArray(), viaResume.toArray(), 0f);

      assertEquals(1, fetch(f, 0, 0).header.getVersion(), "version 0 asks for the newest");
      StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> fetch(f, 9, 0));
      assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
      StatusRuntimeException past = assertThrows(StatusRuntimeException.class, () -> fetch(f, 1, whole.bytes.length + 1));
      assertEquals(Status.Code.OUT_OF_RANGE, past.getStatus().getCode());
    }
  }

  private record Fetched(PriorHeader header, byte[] bytes) {}

  private static Fetched fetch(FederationFixture f, long version, long offset) throws IOException {
    Iterator<PriorChunk> it = f.blocking.fetchPrior(FetchPriorRequest.newBuilder().setVersion(version).setOffset(offset).build());
    PriorHeader header = null;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (it.hasNext()) {
      PriorChunk c = it.next();
      if (c.hasHeader()) {
        header = c.getHeader();
      } else {
        assertTrue(c.getData().size() <= 1 << 20);
        c.getData().writeTo(out);
      }
    }
    return new Fetched(header, out.toByteArray());
  }
}
