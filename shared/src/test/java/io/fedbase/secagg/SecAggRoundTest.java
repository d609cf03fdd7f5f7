package io.fedbase.secagg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.secagg.SecAggException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole rounds with real certificates and real cryptography, driven step by step as the transport would. */
class SecAggRoundTest {

  private static final int CHUNK = 4099; // not a divisor of anything, so chunks straddle keystream blocks

  @TempDir Path dir;

  /** One round: the server, a client per participant, and what each node holds. */
  private final class Round {
    final TestFederation federation;
    final RoundConfig config;
    final SecAggServer server;
    final Map<String, SecAggClient> clients = new LinkedHashMap<>();
    final Map<String, float[]> deltas = new LinkedHashMap<>();
    Set<String> u2 = Set.of();

    Round(TestFederation federation, RoundConfig config, long seed) {
      this.federation = federation;
      this.config = config;
      this.server = new SecAggServer(config);
      SplittableRandom data = new SplittableRandom(seed);
      for (String id : config.participants()) {
        clients.put(id, federation.client(config, id, seed * 1000 + id.hashCode()));
        deltas.put(id, clippedDelta(config.vectorLength(), config.clip(), data));
      }
    }

    List<KeyAdvertisement> advertise(Set<String> absent) throws SecAggException {
      for (SecAggClient c : clients.values()) {
        if (!absent.contains(c.nodeId())) {
          server.receiveAdvertisement(c.nodeId(), c.advertise());
        }
      }
      return server.closeAdvertising();
    }

    Map<String, List<EncryptedShare>> share(List<KeyAdvertisement> u1, Set<String> absent) throws SecAggException {
      for (KeyAdvertisement a : u1) {
        if (!absent.contains(a.nodeId())) {
          server.receiveShares(a.nodeId(), clients.get(a.nodeId()).shareKeys(u1));
        }
      }
      Map<String, List<EncryptedShare>> routed = server.closeSharing();
      u2 = routed.keySet();
      return routed;
    }

    void deliverShares(Map<String, List<EncryptedShare>> routed) throws SecAggException {
      for (Map.Entry<String, List<EncryptedShare>> e : routed.entrySet()) {
        clients.get(e.getKey()).receiveShares(e.getValue());
      }
    }

    /** Masks a node's delta chunk by chunk and streams it into the server's sum as little-endian chunks. */
    void upload(String id) throws SecAggException {
      SecAggServer.MaskedInput input = server.openMaskedInput(id);
      FloatBuffer delta = FloatBuffer.wrap(deltas.get(id));
      ByteBuffer wire = ByteBuffer.allocate(CHUNK * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (int at = 0; at < config.vectorLength(); at += CHUNK) {
        int n = Math.min(CHUNK, config.vectorLength() - at);
        IntBuffer out = wire.clear().asIntBuffer();
        clients.get(id).maskChunk(delta.duplicate().position(at).limit(at + n), out, at);
        input.add(out.flip());
      }
      input.commit();
    }

    UnmaskRequest uploadAll(Set<String> absent) throws SecAggException {
      for (String id : u2) {
        if (!absent.contains(id)) {
          upload(id);
        }
      }
      return server.closeMaskedInput();
    }

    void unmask(UnmaskRequest request, Set<String> absent) throws SecAggException {
      for (String id : request.survivors()) {
        if (!absent.contains(id)) {
          server.receiveUnmaskResponse(id, clients.get(id).unmask(request));
        }
      }
    }

    /** Runs everything; nodes in {@code dropAfterSharing} never upload, those in {@code silent} upload but never unmask. */
    float[] run(Set<String> dropAfterSharing, Set<String> silent, List<String> expectedContributors) throws SecAggException {
      deliverShares(share(advertise(Set.of()), Set.of()));
      UnmaskRequest request = uploadAll(dropAfterSharing);
      unmask(request, silent);
      FloatBuffer out = FloatBuffer.allocate(config.vectorLength());
      List<String> contributors = server.finish(out);
      assertEquals(expectedContributors, contributors);
      assertEquals(SecAggServer.Phase.DONE, server.phase());
      return out.array();
    }

    void assertSumOf(float[] sum, List<String> contributors) {
      double bound = config.ring().sumErrorBound(contributors.size());
      for (int i = 0; i < config.vectorLength(); i++) {
        double exact = 0;
        for (String id : contributors) {
          exact += deltas.get(id)[i];
        }
        double err = Math.abs(sum[i] - exact);
        assertTrue(err <= bound + Math.ulp((float) Math.abs(exact)), "coordinate " + i + ": " + sum[i] + " vs " + exact + " (bound " + bound + ")");
      }
    }
  }

  /** A Gaussian vector scaled to an L2 norm of at most {@code clip}, like a clipped delta. */
  private static float[] clippedDelta(int n, float clip, SplittableRandom random) {
    float[] v = new float[n];
    double sq = 0;
    for (int i = 0; i < n; i++) {
      v[i] = (float) gaussian(random);
      sq += v[i] * v[i];
    }
    double factor = clip * random.nextDouble(0.5, 1.0) / Math.sqrt(sq);
    for (int i = 0; i < n; i++) {
      v[i] = (float) (v[i] * factor);
    }
    return v;
  }

  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  private Round round(int n, int threshold, int length, float clip, long seed) throws Exception {
    List<String> ids = TestFederation.ids(n);
    TestFederation federation = new TestFederation(dir.resolve("ca-" + seed), ids);
    return new Round(federation, new RoundConfig(seed, ids, threshold, length, clip), seed);
  }

  @Test
  void maskedInputsOfThreeToTenNodesSumToThePlainSum() throws Exception {
    for (int n : new int[] {3, 6, 10}) {
      Round r = round(n, RoundConfig.minimumThreshold(n), 20_011, 2f, n);
      float[] sum = r.run(Set.of(), Set.of(), r.config.participants());
      r.assertSumOf(sum, r.config.participants());
    }
  }

  @Test
  void aSingleMaskedInputLooksUniformWhileTheUnmaskedOneDoesNot() throws Exception {
    int length = 1 << 18; // a million bytes: 4096 expected per byte value
    Round r = round(3, 2, length, 1f, 40);
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    String id = r.config.participants().get(0);
    IntBuffer masked = IntBuffer.allocate(length);
    r.clients.get(id).maskChunk(FloatBuffer.wrap(r.deltas.get(id)), masked, 0);
    IntBuffer plain = IntBuffer.allocate(length);
    r.config.ring().encode(FloatBuffer.wrap(r.deltas.get(id)), plain, new SplittableRandom(1));

    // chi-square over the 256 byte values, 255 degrees of freedom: the 0.999 quantile is about 330.5
    double maskedChi = chiSquareOfBytes(masked.array());
    double plainChi = chiSquareOfBytes(plain.array());
    System.out.printf("chi-square of byte values (255 dof): masked %.1f, unmasked %.0f%n", maskedChi, plainChi);
    assertTrue(maskedChi < 330.5, "the masked input is not distinguishable from uniform: " + maskedChi);
    assertTrue(plainChi > 330.5, "negative control: the same test rejects the unmasked input: " + plainChi);
    // and the top byte alone, where a small delta would show most
    assertTrue(chiSquareOfTopBytes(masked.array()) < 330.5);
    assertTrue(chiSquareOfTopBytes(plain.array()) > 330.5);
  }

  private static double chiSquareOfBytes(int[] values) {
    long[] counts = new long[256];
    for (int v : values) {
      for (int b = 0; b < 4; b++) {
        counts[(v >>> (8 * b)) & 0xff]++;
      }
    }
    return chiSquare(counts, values.length * 4L);
  }

  private static double chiSquareOfTopBytes(int[] values) {
    long[] counts = new long[256];
    for (int v : values) {
      counts[v >>> 24]++;
    }
    return chiSquare(counts, values.length);
  }

  private static double chiSquare(long[] counts, long total) {
    double expected = total / 256.0;
    double chi = 0;
    for (long c : counts) {
      chi += (c - expected) * (c - expected) / expected;
    }
    return chi;
  }

  @Test
  void nodesDroppingAfterKeySharingAreRecoveredWhileEnoughRemain() throws Exception {
    Round r = round(7, 4, 10_007, 1f, 50);
    List<String> ids = r.config.participants();
    Set<String> dropped = Set.of(ids.get(0), ids.get(3), ids.get(6));
    List<String> survivors = new ArrayList<>(ids);
    survivors.removeAll(dropped);
    float[] sum = r.run(dropped, Set.of(), survivors);
    r.assertSumOf(sum, survivors);
  }

  @Test
  void aNodeThatDropsAfterUploadingStillCountsAndKeepsItsSelfMaskSecretUntilThen() throws Exception {
    Round r = round(5, 3, 10_007, 1f, 60);
    List<String> ids = r.config.participants();
    // ids[1] never answers the unmask request, ids[4] never uploads
    List<String> survivors = List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(3));
    float[] sum = r.run(Set.of(ids.get(4)), Set.of(ids.get(1)), survivors);
    r.assertSumOf(sum, survivors);
  }

  @Test
  void tooManyDropoutsAfterKeySharingFailTheRoundCleanly() throws Exception {
    Round r = round(7, 4, 1000, 1f, 70);
    List<String> ids = r.config.participants();
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    for (String id : ids.subList(0, 3)) {
      r.upload(id);
    }
    SecAggException e = assertThrows(SecAggException.class, r.server::closeMaskedInput);
    assertEquals(Reason.BELOW_THRESHOLD, e.reason());
    assertEquals(SecAggServer.Phase.FAILED, r.server.phase());
    assertTrue(r.server.failure().contains("3"), r.server.failure());
    assertEquals(Reason.ROUND_FAILED, assertThrows(SecAggException.class, () -> r.server.openMaskedInput(ids.get(5))).reason());
    assertEquals(Reason.ROUND_FAILED, assertThrows(SecAggException.class, () -> r.server.finish(FloatBuffer.allocate(1000))).reason());
  }

  @Test
  void tooFewAdvertisementsOrSharesFailTheRound() throws Exception {
    Round early = round(5, 3, 100, 1f, 80);
    List<String> ids = early.config.participants();
    assertEquals(Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> early.advertise(Set.copyOf(ids.subList(0, 3)))).reason());
    assertEquals(SecAggServer.Phase.FAILED, early.server.phase());

    Round sharing = round(5, 3, 100, 1f, 81);
    List<KeyAdvertisement> u1 = sharing.advertise(Set.of());
    assertEquals(Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> sharing.share(u1, Set.copyOf(ids.subList(1, 4)))).reason());
  }

  @Test
  void tooFewUnmaskResponsesFailTheRoundWithoutWritingAnything() throws Exception {
    Round r = round(5, 3, 1000, 1f, 90);
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    UnmaskRequest request = r.uploadAll(Set.of());
    assertEquals(5, request.survivors().size());
    r.unmask(request, Set.copyOf(request.survivors().subList(0, 3)));
    assertEquals(2, r.server.responseCount());
    FloatBuffer out = FloatBuffer.allocate(1000);
    assertEquals(Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> r.server.finish(out)).reason());
    assertEquals(0, out.position());
    assertArrayEquals(new float[1000], out.array());
  }

  @Test
  void aCorruptedUnmaskShareFailsReconstructionWithoutOutput() throws Exception {
    Round r = round(3, 2, 500, 1f, 100);
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    UnmaskRequest request = r.uploadAll(Set.of());
    String first = request.survivors().get(0);
    UnmaskResponse honest = r.clients.get(first).unmask(request);
    List<RevealedShare> shares = new ArrayList<>(honest.shares());
    SecretShare s = shares.get(1).share();
    byte[] y = s.y();
    y[65] ^= 1;
    shares.set(1, new RevealedShare(shares.get(1).owner(), shares.get(1).kind(), new SecretShare(s.x(), y, s.commitment())));
    r.server.receiveUnmaskResponse(first, new UnmaskResponse(honest.round(), first, shares));
    String second = request.survivors().get(1);
    r.server.receiveUnmaskResponse(second, r.clients.get(second).unmask(request));
    FloatBuffer out = FloatBuffer.allocate(500);
    assertEquals(Reason.RECONSTRUCTION_FAILED, assertThrows(SecAggException.class, () -> r.server.finish(out)).reason());
    assertEquals(0, out.position());
    assertEquals(SecAggServer.Phase.FAILED, r.server.phase());
  }

  @Test
  void nodesRefuseTamperedReplayedOrForeignAdvertisements() throws Exception {
    Round r = round(4, 3, 100, 1f, 110);
    List<KeyAdvertisement> u1 = r.advertise(Set.of());
    List<String> ids = r.config.participants();
    SecAggClient victim = r.clients.get(ids.get(0));

    // a key flipped in transit
    List<KeyAdvertisement> tampered = new ArrayList<>(u1);
    KeyAdvertisement b = u1.get(1);
    byte[] key = b.maskKey();
    key[0] ^= 1;
    tampered.set(1, new KeyAdvertisement(b.round(), b.nodeId(), b.configHash(), b.encryptionKey(), key, b.signature()));
    assertEquals(Reason.BAD_SIGNATURE, assertThrows(SecAggException.class, () -> victim.shareKeys(tampered)).reason());

    // last round's advertisement of a node, replayed
    Round previous = round(4, 3, 100, 1f, 109);
    KeyAdvertisement stale = previous.clients.get(ids.get(2)).advertise();
    List<KeyAdvertisement> replayed = new ArrayList<>(u1);
    replayed.set(2, stale);
    assertEquals(Reason.WRONG_ROUND, assertThrows(SecAggException.class, () -> victim.shareKeys(replayed)).reason());

    // the coordinator swaps the victim's own keys
    List<KeyAdvertisement> ownSwapped = new ArrayList<>(u1);
    KeyAdvertisement own = u1.get(0);
    ownSwapped.set(0, new KeyAdvertisement(own.round(), own.nodeId(), own.configHash(), u1.get(3).encryptionKey(), own.maskKey(), own.signature()));
    assertEquals(Reason.OWN_ADVERTISEMENT_ALTERED, assertThrows(SecAggException.class, () -> victim.shareKeys(ownSwapped)).reason());

    // a node listed twice
    List<KeyAdvertisement> twice = new ArrayList<>(u1);
    twice.add(u1.get(1));
    assertEquals(Reason.DUPLICATE, assertThrows(SecAggException.class, () -> victim.shareKeys(twice)).reason());

    // too few
    assertEquals(Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> victim.shareKeys(u1.subList(0, 2))).reason());

    // none of that changed the client: the honest list still works
    assertEquals(3, victim.shareKeys(u1).size());
  }

  @Test
  void theServerRejectsMalformedMessagesWithoutFailingTheRound() throws Exception {
    Round r = round(4, 3, 100, 1f, 120);
    List<String> ids = r.config.participants();
    KeyAdvertisement a0 = r.clients.get(ids.get(0)).advertise();
    r.server.receiveAdvertisement(ids.get(0), a0);
    assertEquals(Reason.DUPLICATE, assertThrows(SecAggException.class, () -> r.server.receiveAdvertisement(ids.get(0), a0)).reason());
    assertEquals(Reason.WRONG_NODE, assertThrows(SecAggException.class, () -> r.server.receiveAdvertisement(ids.get(1), a0)).reason());
    RoundConfig other = new RoundConfig(120, ids, 4, 100, 1f);
    KeyAdvertisement wrongConfig = KeyAdvertisement.sign(other, ids.get(1), a0.encryptionKey(), a0.maskKey(), r.federation.nodes.get(ids.get(1)).key());
    assertEquals(Reason.CONFIG_MISMATCH, assertThrows(SecAggException.class, () -> r.server.receiveAdvertisement(ids.get(1), wrongConfig)).reason());
    assertEquals(SecAggServer.Phase.ADVERTISING, r.server.phase());
    for (String id : ids.subList(1, 4)) {
      r.server.receiveAdvertisement(id, r.clients.get(id).advertise());
    }
    List<KeyAdvertisement> u1 = r.server.closeAdvertising();
    List<EncryptedShare> shares = r.clients.get(ids.get(0)).shareKeys(u1);
    assertEquals(Reason.MALFORMED, assertThrows(SecAggException.class, () -> r.server.receiveShares(ids.get(0), shares.subList(0, 2))).reason());
    assertEquals(Reason.WRONG_NODE, assertThrows(SecAggException.class, () -> r.server.receiveShares(ids.get(1), shares)).reason());
    r.server.receiveShares(ids.get(0), shares);
    assertEquals(Reason.DUPLICATE, assertThrows(SecAggException.class, () -> r.server.receiveShares(ids.get(0), shares)).reason());
    for (String id : ids.subList(1, 4)) {
      r.server.receiveShares(id, r.clients.get(id).shareKeys(u1));
    }
    r.deliverShares(r.server.closeSharing());

    // an upload that stops half-way poisons the sum: the round fails rather than give a wrong answer
    SecAggServer.MaskedInput partial = r.server.openMaskedInput(ids.get(0));
    partial.add(IntBuffer.allocate(50));
    assertEquals(Reason.INCOMPLETE_INPUT, assertThrows(SecAggException.class, partial::commit).reason());
    assertEquals(Reason.MALFORMED, assertThrows(SecAggException.class, () -> partial.add(IntBuffer.allocate(51))).reason());
    assertEquals(Reason.DUPLICATE, assertThrows(SecAggException.class, () -> r.server.openMaskedInput(ids.get(0))).reason());
    for (String id : ids.subList(1, 4)) {
      r.upload(id);
    }
    assertEquals(Reason.INCOMPLETE_INPUT, assertThrows(SecAggException.class, r.server::closeMaskedInput).reason());
    assertEquals(SecAggServer.Phase.FAILED, r.server.phase());
  }

  @Test
  void aTamperedOrMisroutedEncryptedShareFailsToDecrypt() throws Exception {
    Round r = round(4, 3, 100, 1f, 130);
    Map<String, List<EncryptedShare>> routed = r.share(r.advertise(Set.of()), Set.of());
    List<String> ids = r.config.participants();
    String receiver = ids.get(2);
    List<EncryptedShare> forReceiver = routed.get(receiver);

    List<EncryptedShare> tampered = new ArrayList<>(forReceiver);
    EncryptedShare e = forReceiver.get(0);
    byte[] ct = e.ciphertext();
    ct[5] ^= (byte) 0x80;
    tampered.set(0, new EncryptedShare(e.round(), e.sender(), e.receiver(), e.nonce(), ct));
    SecAggClient client = r.clients.get(receiver);
    assertEquals(Reason.DECRYPTION_FAILED, assertThrows(SecAggException.class, () -> client.receiveShares(tampered)).reason());

    // a share meant for another node, relabelled for this one
    EncryptedShare other = routed.get(ids.get(3)).stream().filter(s -> !s.sender().equals(receiver)).findFirst().orElseThrow();
    List<EncryptedShare> misrouted = new ArrayList<>(forReceiver);
    misrouted.removeIf(s -> s.sender().equals(other.sender()));
    misrouted.add(new EncryptedShare(other.round(), other.sender(), receiver, other.nonce(), other.ciphertext()));
    assertEquals(Reason.DECRYPTION_FAILED, assertThrows(SecAggException.class, () -> client.receiveShares(misrouted)).reason());

    // untouched, they open
    client.receiveShares(forReceiver);
    assertEquals(ids, client.maskedWith());
  }

  @Test
  void aRequestForBothSecretsOfOneNodeIsRefused() throws Exception {
    Round r = round(5, 3, 100, 1f, 140);
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    List<String> ids = r.config.participants();
    SecAggClient client = r.clients.get(ids.get(0));
    UnmaskRequest both = new UnmaskRequest(140, ids, List.of(ids.get(4)));
    assertEquals(Reason.BOTH_SHARES_REQUESTED, assertThrows(SecAggException.class, () -> client.unmask(both)).reason());

    UnmaskRequest first = new UnmaskRequest(140, ids.subList(0, 4), List.of(ids.get(4)));
    UnmaskResponse answer = client.unmask(first);
    assertEquals(5, answer.shares().size());
    assertEquals(RevealedShare.Kind.MASK_KEY, answer.shares().get(4).kind());
    assertSame(answer, client.unmask(new UnmaskRequest(140, ids.subList(0, 4), List.of(ids.get(4)))), "a retried request gets the same answer");
    // the coordinator now claims ids[4] survived: its self-mask seed would complete the set
    UnmaskRequest flipped = new UnmaskRequest(140, ids, List.of());
    assertEquals(Reason.BOTH_SHARES_REQUESTED, assertThrows(SecAggException.class, () -> client.unmask(flipped)).reason());
    UnmaskRequest flippedBack = new UnmaskRequest(140, ids.subList(0, 3), ids.subList(3, 5));
    assertEquals(Reason.BOTH_SHARES_REQUESTED, assertThrows(SecAggException.class, () -> client.unmask(flippedBack)).reason());

    SecAggClient another = r.clients.get(ids.get(1));
    assertEquals(Reason.MALFORMED, assertThrows(SecAggException.class, () -> another.unmask(new UnmaskRequest(140, ids.subList(2, 5), ids.subList(0, 2)))).reason(), "listed as dropped while answering");
    assertEquals(Reason.BELOW_THRESHOLD, assertThrows(SecAggException.class, () -> another.unmask(new UnmaskRequest(140, ids.subList(0, 2), ids.subList(2, 5)))).reason());
    assertEquals(Reason.WRONG_ROUND, assertThrows(SecAggException.class, () -> another.unmask(new UnmaskRequest(139, ids, List.of()))).reason());
  }

  @Test
  void theRingDoesNotOverflowWithEveryParticipantAtTheClip() throws Exception {
    int k = 6;
    for (float sign : new float[] {1f, -1f}) {
      Round r = round(k, 4, 2, 3f, sign > 0 ? 150 : 151);
      for (String id : r.config.participants()) {
        // both coordinates at the clip: beyond an honest L2 clip, the worst case for the ring
        r.deltas.put(id, new float[] {sign * 3f, sign * Math.nextUp(3f)});
      }
      float[] sum = r.run(Set.of(), Set.of(), r.config.participants());
      for (float s : sum) {
        assertEquals(sign * k * 3f, s, r.config.ring().sumErrorBound(k) + Math.ulp(k * 3f));
      }
    }
  }

  @Test
  void stepsOutOfOrderAreRefused() throws Exception {
    Round r = round(3, 2, 10, 1f, 160);
    SecAggClient c = r.clients.get(r.config.participants().get(0));
    assertEquals(Reason.WRONG_STATE, assertThrows(SecAggException.class, () -> c.shareKeys(List.of())).reason());
    assertEquals(Reason.WRONG_STATE, assertThrows(SecAggException.class, () -> c.maskChunk(FloatBuffer.allocate(1), IntBuffer.allocate(1), 0)).reason());
    assertSame(c.advertise(), c.advertise());
    assertEquals(Reason.WRONG_STATE, assertThrows(SecAggException.class, () -> r.server.closeMaskedInput()).reason());
    assertNull(r.server.failure());
  }

  @Test
  void aNonFiniteValueLeavesNoUnmaskedValuesBehind() throws Exception {
    Round r = round(3, 2, 100, 1f, 165);
    r.deliverShares(r.share(r.advertise(Set.of()), Set.of()));
    float[] delta = r.deltas.get(r.config.participants().get(0)).clone();
    delta[60] = Float.NaN;
    IntBuffer out = IntBuffer.allocate(100);
    SecAggClient c = r.clients.get(r.config.participants().get(0));
    assertThrows(IllegalArgumentException.class, () -> c.maskChunk(FloatBuffer.wrap(delta), out, 0));
    assertArrayEquals(new int[100], out.array(), "the encoded prefix was wiped");
    assertThrows(IllegalArgumentException.class, () -> c.maskChunk(FloatBuffer.wrap(new float[10]), IntBuffer.allocate(10), 95), "past the vector's end");
  }
}
