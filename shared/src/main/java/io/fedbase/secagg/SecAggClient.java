package io.fedbase.secagg;

import io.fedbase.secagg.SecAggException.Reason;
import io.fedbase.secagg.ShareCipher.SharePair;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.crypto.SecretKey;

/**
 * A node's side of one secure-aggregation round (Bonawitz et al., CCS '17), without transport:
 *
 * <ol start="0">
 *   <li>{@link #advertise()}: fresh X25519 key pairs, signed with the certificate key.
 *   <li>{@link #shareKeys(List)}: verify every advertisement (U1), draw the self-mask seed b_u,
 *       Shamir-share b_u and the mask private key s_u^SK with the round's threshold, encrypt each
 *       holder's pair of shares for it.
 *   <li>{@link #receiveShares(List)} then {@link #maskChunk(FloatBuffer, IntBuffer, int)}: decrypt
 *       the shares held for others (their senders are U2), then write y_u = x_u + PRG(b_u) +
 *       Σ_{v ∈ U2} ±PRG(s_uv) over Z_{2^32}, chunk by chunk.
 *   <li>{@link #unmask(UnmaskRequest)}: reveal b-shares for survivors and s^SK-shares for dropped
 *       nodes, refusing any request that would reveal both for one node.
 * </ol>
 *
 * Any verification failure aborts the step with a {@link SecAggException} and leaves the state as
 * it was. Not thread-safe: one round, one thread at a time.
 */
public final class SecAggClient {

  private enum State {
    NEW,
    ADVERTISED,
    SHARED,
    MASKING,
    UNMASKED
  }

  /** One mask this node adds to its input: its generator and whether it is added or subtracted. */
  private record Mask(MaskGenerator generator, int sign) {}

  private final RoundConfig config;
  private final String nodeId;
  private final PrivateKey signingKey;
  private final CertificateLookup certificates;
  private final SecureRandom random;
  private final FixedPointRing ring;
  private final long roundingSeed;

  private State state = State.NEW;
  private KeyPair encryptionKeys;
  private KeyPair maskKeys;
  private KeyAdvertisement advertisement;
  private Map<String, KeyAdvertisement> keysSharedWith; // U1, including this node
  private byte[] selfMaskSeed;
  private SharePair ownShares;
  private Map<String, SharePair> heldShares; // owner -> this node's shares of its secrets; keys are U2
  private List<Mask> masks;
  private UnmaskRequest answered;
  private UnmaskResponse answer;

  /**
   * @param config the round as the assignment describes it
   * @param nodeId this node, a participant
   * @param signingKey the private key of this node's certificate
   * @param certificates the validated certificates of the other participants
   * @param random key, seed, Shamir coefficient and nonce source ({@code new SecureRandom()} in production)
   */
  public SecAggClient(RoundConfig config, String nodeId, PrivateKey signingKey, CertificateLookup certificates, SecureRandom random) {
    if (!config.isParticipant(nodeId)) {
      throw new IllegalArgumentException("'" + nodeId + "' is not a participant of round " + config.round());
    }
    this.config = config;
    this.nodeId = nodeId;
    this.signingKey = signingKey;
    this.certificates = certificates;
    this.random = random;
    this.ring = config.ring();
    this.roundingSeed = random.nextLong();
  }

  public RoundConfig config() {
    return config;
  }

  public String nodeId() {
    return nodeId;
  }

  /** Round 0: this node's signed public keys (the same advertisement if asked again). */
  public KeyAdvertisement advertise() {
    if (state == State.NEW) {
      encryptionKeys = X25519.generate(random);
      maskKeys = X25519.generate(random);
      advertisement =
          KeyAdvertisement.sign(
              config, nodeId, X25519.publicBytes(encryptionKeys.getPublic()), X25519.publicBytes(maskKeys.getPublic()), signingKey);
      state = State.ADVERTISED;
    }
    return advertisement;
  }

  /**
   * Round 1: checks the advertisements the coordinator collected (U1) and returns this node's
   * encrypted shares, one for every other node in U1.
   *
   * @throws SecAggException for any advertisement that fails {@link KeyAdvertisement#verify}, a
   *     node advertised twice or two nodes with one key (DUPLICATE), this node's own advertisement
   *     missing (MALFORMED) or altered (OWN_ADVERTISEMENT_ALTERED), fewer than the threshold
   *     (BELOW_THRESHOLD)
   */
  public List<EncryptedShare> shareKeys(List<KeyAdvertisement> advertisements) throws SecAggException {
    require(State.ADVERTISED);
    Map<String, KeyAdvertisement> u1 = new TreeMap<>();
    Set<String> keys = new HashSet<>();
    for (KeyAdvertisement a : advertisements) {
      if (u1.containsKey(a.nodeId())) {
        throw new SecAggException(Reason.DUPLICATE, "'" + a.nodeId() + "' is advertised twice");
      }
      if (a.nodeId().equals(nodeId)) {
        if (!a.equals(advertisement)) {
          throw new SecAggException(Reason.OWN_ADVERTISEMENT_ALTERED, "the advertisement for '" + nodeId + "' is not the one it made");
        }
      } else {
        a.verify(config, certificates);
      }
      // one key under two names would let one party sit in two places of the sum
      if (!keys.add(hex(a.encryptionKey())) | !keys.add(hex(a.maskKey()))) {
        throw new SecAggException(Reason.DUPLICATE, "'" + a.nodeId() + "' advertises a public key already in use");
      }
      u1.put(a.nodeId(), a);
    }
    if (!u1.containsKey(nodeId)) {
      throw new SecAggException(Reason.MALFORMED, "the advertisements omit this node's own");
    }
    requireThreshold(u1.size(), "nodes advertised keys");

    byte[] seed = new byte[MaskGenerator.SEED_BYTES];
    random.nextBytes(seed);
    List<SecretShare> seedShares = ShamirSharing.share(seed, config.threshold(), config.size(), random);
    List<SecretShare> keyShares = ShamirSharing.share(X25519.privateBytes(maskKeys.getPrivate()), config.threshold(), config.size(), random);
    List<EncryptedShare> out = new ArrayList<>();
    SharePair own = null;
    for (KeyAdvertisement a : u1.values()) {
      int x = config.shareIndex(a.nodeId());
      SharePair pair = new SharePair(seedShares.get(x - 1), keyShares.get(x - 1));
      if (a.nodeId().equals(nodeId)) {
        own = pair;
      } else {
        SecretKey key = PairwiseSeeds.shareKey(config, nodeId, encryptionKeys.getPrivate(), a.nodeId(), a.encryptionKey());
        out.add(ShareCipher.seal(config, nodeId, a.nodeId(), key, pair, random));
      }
    }
    keysSharedWith = u1;
    selfMaskSeed = seed;
    ownShares = own;
    state = State.SHARED;
    return List.copyOf(out);
  }

  /**
   * Round 2, first half: the shares other nodes sent this node (forwarded by the coordinator).
   * Their senders, with this node, are U2 — the nodes whose pairwise masks go into this input.
   *
   * @throws SecAggException WRONG_ROUND, MALFORMED (not addressed to this node, from a node not
   *     in U1, a share for another holder), DUPLICATE, DECRYPTION_FAILED, BELOW_THRESHOLD
   */
  public void receiveShares(List<EncryptedShare> shares) throws SecAggException {
    require(State.SHARED);
    int ownX = config.shareIndex(nodeId);
    Map<String, SharePair> held = new TreeMap<>();
    held.put(nodeId, ownShares);
    for (EncryptedShare e : shares) {
      if (e.round() != config.round()) {
        throw new SecAggException(Reason.WRONG_ROUND, "a share from '" + e.sender() + "' for round " + e.round() + " in round " + config.round());
      }
      if (!e.receiver().equals(nodeId)) {
        throw new SecAggException(Reason.MALFORMED, "a share for '" + e.receiver() + "' was delivered to '" + nodeId + "'");
      }
      KeyAdvertisement sender = keysSharedWith.get(e.sender());
      if (sender == null || e.sender().equals(nodeId)) {
        throw new SecAggException(Reason.MALFORMED, "a share from '" + e.sender() + "', which did not advertise keys to this node");
      }
      if (held.containsKey(e.sender())) {
        throw new SecAggException(Reason.DUPLICATE, "two shares from '" + e.sender() + "'");
      }
      SecretKey key = PairwiseSeeds.shareKey(config, nodeId, encryptionKeys.getPrivate(), e.sender(), sender.encryptionKey());
      SharePair pair = ShareCipher.open(config, e, key);
      if (pair.selfMaskSeed().x() != ownX) {
        throw new SecAggException(Reason.MALFORMED, "'" + e.sender() + "' sent this node the share of another holder");
      }
      held.put(e.sender(), pair);
    }
    requireThreshold(held.size(), "nodes shared keys");

    List<Mask> list = new ArrayList<>();
    list.add(new Mask(new MaskGenerator(selfMaskSeed), 1));
    for (String other : held.keySet()) {
      if (!other.equals(nodeId)) {
        byte[] seed = PairwiseSeeds.maskSeed(config, nodeId, maskKeys.getPrivate(), other, keysSharedWith.get(other).maskKey());
        list.add(new Mask(new MaskGenerator(seed), PairwiseSeeds.maskSign(nodeId, other)));
      }
    }
    heldShares = held;
    masks = List.copyOf(list);
    state = State.MASKING;
  }

  /** The nodes whose pairwise masks are in this node's input (U2, this node included). */
  public List<String> maskedWith() throws SecAggException {
    require(State.MASKING, State.UNMASKED);
    return List.copyOf(heldShares.keySet());
  }

  /**
   * Round 2, second half: encodes {@code delta.remaining()} values of the clipped delta, starting
   * at coordinate {@code offset}, and writes them masked into {@code out}; both buffers advance.
   * Chunks may come in any order. Rounding noise depends only on the offset, so a chunk masked
   * again (a retried upload) is identical and a retry reveals nothing new.
   */
  public void maskChunk(FloatBuffer delta, IntBuffer out, int offset) throws SecAggException {
    require(State.MASKING);
    int n = delta.remaining();
    if (offset < 0 || (long) offset + n > config.vectorLength()) {
      throw new IllegalArgumentException(
          "coordinates " + offset + ".." + ((long) offset + n) + " are outside the vector of " + config.vectorLength());
    }
    int start = out.position();
    IntBuffer chunk = out.duplicate().limit(start + n).position(start);
    try {
      ring.encode(delta, out, new SplittableRandom(roundingSeed ^ (offset * 0x9E3779B97F4A7C15L)));
    } catch (IllegalArgumentException e) {
      // a NaN part-way: what was encoded so far is unmasked, so it must not stay in the buffer
      for (int i = start; i < start + n; i++) {
        out.put(i, 0);
      }
      throw e;
    }
    for (Mask m : masks) {
      m.generator().apply(chunk, offset, m.sign());
    }
  }

  /**
   * Round 3: this node's shares of the survivors' self-mask seeds and of the dropped nodes' mask
   * keys. The same request asked again gets the same answer; any other is refused.
   *
   * @throws SecAggException BOTH_SHARES_REQUESTED when one node is named as survivor and dropped
   *     (now, or across two requests); WRONG_ROUND; MALFORMED when the request names a node this
   *     node holds no shares of, or lists this node as dropped; BELOW_THRESHOLD for fewer
   *     survivors than the threshold; WRONG_STATE for a second, different request
   */
  public UnmaskResponse unmask(UnmaskRequest request) throws SecAggException {
    require(State.MASKING, State.UNMASKED);
    if (request.round() != config.round()) {
      throw new SecAggException(Reason.WRONG_ROUND, "an unmask request for round " + request.round() + " in round " + config.round());
    }
    if (request.asksTwiceForAnyNode()) {
      throw new SecAggException(Reason.BOTH_SHARES_REQUESTED, "the request names a node more than once: revealing both of its secrets would expose its input");
    }
    if (state == State.UNMASKED) {
      if (sameSets(request, answered)) {
        return answer;
      }
      for (String id : request.survivors()) {
        if (answered.dropped().contains(id)) {
          throw new SecAggException(Reason.BOTH_SHARES_REQUESTED, "'" + id + "' was reported dropped before and is a survivor now");
        }
      }
      for (String id : request.dropped()) {
        if (answered.survivors().contains(id)) {
          throw new SecAggException(Reason.BOTH_SHARES_REQUESTED, "'" + id + "' was reported a survivor before and dropped now");
        }
      }
      throw new SecAggException(Reason.WRONG_STATE, "this node already answered another unmask request");
    }
    if (!request.survivors().contains(nodeId)) {
      throw new SecAggException(Reason.MALFORMED, "'" + nodeId + "' is answering, yet the request does not list it as a survivor");
    }
    for (String id : concat(request.survivors(), request.dropped())) {
      if (!heldShares.containsKey(id)) {
        throw new SecAggException(Reason.MALFORMED, "this node holds no shares of '" + id + "'");
      }
    }
    requireThreshold(request.survivors().size(), "nodes delivered masked inputs");
    Map<String, RevealedShare> shares = new TreeMap<>();
    for (String id : request.survivors()) {
      shares.put(id, new RevealedShare(id, RevealedShare.Kind.SELF_MASK_SEED, heldShares.get(id).selfMaskSeed()));
    }
    for (String id : request.dropped()) {
      shares.put(id, new RevealedShare(id, RevealedShare.Kind.MASK_KEY, heldShares.get(id).maskKey()));
    }
    answered = request;
    answer = new UnmaskResponse(config.round(), nodeId, List.copyOf(shares.values()));
    state = State.UNMASKED;
    return answer;
  }

  private static boolean sameSets(UnmaskRequest a, UnmaskRequest b) {
    return new HashSet<>(a.survivors()).equals(new HashSet<>(b.survivors())) && new HashSet<>(a.dropped()).equals(new HashSet<>(b.dropped()));
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  private void requireThreshold(int count, String what) throws SecAggException {
    if (count < config.threshold()) {
      throw new SecAggException(Reason.BELOW_THRESHOLD, "only " + count + " " + what + "; round " + config.round() + " needs " + config.threshold());
    }
  }

  private void require(State... allowed) throws SecAggException {
    if (!Arrays.asList(allowed).contains(state)) {
      throw new SecAggException(Reason.WRONG_STATE, "step not allowed in state " + state + " (expects " + Arrays.toString(allowed) + ")");
    }
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
  }
}
