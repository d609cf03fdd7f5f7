package io.fedbase.secagg;

import io.fedbase.secagg.SecAggException.Reason;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The coordinator's side of one secure-aggregation round, without transport. It checks the
 * structure of what nodes send (signatures are the nodes' business: they verify each other),
 * routes encrypted shares, folds masked inputs into one running int sum as they stream in,
 * and at the end reconstructs the survivors' self-mask seeds and the dropped nodes' mask keys,
 * strips those masks from the sum chunk by chunk and decodes it. Memory is the one int sum.
 *
 * <p>Phases move forward only through the {@code close…} calls the caller makes (at its
 * deadlines). Whenever fewer than the threshold of nodes remain, or reconstruction fails, the
 * round fails: the sum is dropped, nothing is written, and every later call throws ROUND_FAILED.
 * A message that is merely malformed, duplicated or out of place is refused without failing the
 * round. Thread-safe: transport threads may call it concurrently.
 */
public final class SecAggServer {

  /** Where the round is. */
  public enum Phase {
    ADVERTISING,
    SHARING,
    MASKING,
    UNMASKING,
    DONE,
    FAILED
  }

  private static final int ADD_BLOCK = 1 << 14;
  /** 256 KiB of the sum: stays in L2 while all masks pass over it. */
  private static final int UNMASK_CHUNK = 1 << 16;

  private final RoundConfig config;
  private final FixedPointRing ring;
  private Phase phase = Phase.ADVERTISING;
  private String failure;

  private final Map<String, KeyAdvertisement> advertisements = new TreeMap<>();
  private final Map<String, List<EncryptedShare>> sharesBySender = new TreeMap<>();
  private final Map<String, MaskedInput> inputs = new TreeMap<>();
  private final Map<String, UnmaskResponse> responses = new LinkedHashMap<>();
  private Set<String> u1;
  private Set<String> u2;
  private UnmaskRequest request;
  private Set<String> survivors; // U3
  private Set<String> dropped; // U2 \ U3
  private int[] sum;

  public SecAggServer(RoundConfig config) {
    this.config = config;
    this.ring = config.ring();
  }

  public RoundConfig config() {
    return config;
  }

  public synchronized Phase phase() {
    return phase;
  }

  /** Why the round failed, or null. */
  public synchronized String failure() {
    return failure;
  }

  /**
   * Round 0: one node's advertisement; {@code from} is the sender the transport authenticated.
   *
   * @throws SecAggException WRONG_NODE (not the sender's), MALFORMED, WRONG_ROUND,
   *     NOT_A_PARTICIPANT, CONFIG_MISMATCH, DUPLICATE (a second one from the node)
   */
  public synchronized void receiveAdvertisement(String from, KeyAdvertisement advertisement) throws SecAggException {
    requirePhase(Phase.ADVERTISING);
    if (!advertisement.nodeId().equals(from)) {
      throw new SecAggException(Reason.WRONG_NODE, "'" + from + "' sent an advertisement for '" + advertisement.nodeId() + "'");
    }
    advertisement.checkStructure(config);
    if (!MessageDigest.isEqual(advertisement.configHash(), config.hash())) {
      throw new SecAggException(Reason.CONFIG_MISMATCH, "'" + from + "' advertised keys for another configuration of round " + config.round());
    }
    if (advertisements.containsKey(from)) {
      throw new SecAggException(Reason.DUPLICATE, "'" + from + "' already advertised keys for round " + config.round());
    }
    advertisements.put(from, advertisement);
  }

  /**
   * Ends round 0: the advertisements to send to every node in U1 (the advertisers).
   *
   * @throws SecAggException BELOW_THRESHOLD (the round fails)
   */
  public synchronized List<KeyAdvertisement> closeAdvertising() throws SecAggException {
    requirePhase(Phase.ADVERTISING);
    requireThreshold(advertisements.size(), "nodes advertised keys");
    u1 = Set.copyOf(advertisements.keySet());
    phase = Phase.SHARING;
    return List.copyOf(advertisements.values());
  }

  /**
   * Round 1: a node's encrypted shares, exactly one for every other node in U1.
   *
   * @throws SecAggException NOT_A_PARTICIPANT (not in U1), DUPLICATE, WRONG_ROUND, MALFORMED
   */
  public synchronized void receiveShares(String from, List<EncryptedShare> shares) throws SecAggException {
    requirePhase(Phase.SHARING);
    if (!u1.contains(from)) {
      throw new SecAggException(Reason.NOT_A_PARTICIPANT, "'" + from + "' did not advertise keys in round " + config.round());
    }
    if (sharesBySender.containsKey(from)) {
      throw new SecAggException(Reason.DUPLICATE, "'" + from + "' already sent its shares");
    }
    Set<String> receivers = new HashSet<>();
    for (EncryptedShare s : shares) {
      if (s.round() != config.round()) {
        throw new SecAggException(Reason.WRONG_ROUND, "a share for round " + s.round() + " in round " + config.round());
      }
      if (!s.sender().equals(from)) {
        throw new SecAggException(Reason.WRONG_NODE, "'" + from + "' sent a share as '" + s.sender() + "'");
      }
      if (s.receiver().equals(from) || !u1.contains(s.receiver()) || !receivers.add(s.receiver())) {
        throw new SecAggException(Reason.MALFORMED, "'" + from + "' sent a share for '" + s.receiver() + "', not one per other node of U1");
      }
    }
    if (receivers.size() != u1.size() - 1) {
      throw new SecAggException(Reason.MALFORMED, "'" + from + "' sent " + receivers.size() + " shares for " + (u1.size() - 1) + " other nodes");
    }
    sharesBySender.put(from, List.copyOf(shares));
  }

  /**
   * Ends round 1: for each node in U2 (those that sent shares), the shares addressed to it by
   * the other nodes of U2. Shares from nodes that did not complete the round are withheld.
   *
   * @throws SecAggException BELOW_THRESHOLD (the round fails)
   */
  public synchronized Map<String, List<EncryptedShare>> closeSharing() throws SecAggException {
    requirePhase(Phase.SHARING);
    requireThreshold(sharesBySender.size(), "nodes shared keys");
    u2 = Set.copyOf(sharesBySender.keySet());
    Map<String, List<EncryptedShare>> routed = new TreeMap<>();
    for (String receiver : sharesBySender.keySet()) {
      routed.put(receiver, new ArrayList<>());
    }
    for (List<EncryptedShare> list : sharesBySender.values()) {
      for (EncryptedShare s : list) {
        List<EncryptedShare> to = routed.get(s.receiver());
        if (to != null) {
          to.add(s);
        }
      }
    }
    routed.replaceAll((k, v) -> List.copyOf(v));
    sum = new int[config.vectorLength()];
    phase = Phase.MASKING;
    return routed;
  }

  /**
   * Round 2: starts folding a node's masked input into the sum. Feed it a complete upload (from
   * a staged file): chunks added to the sum cannot be taken out again, so an input opened and
   * not committed fails the round at {@link #closeMaskedInput()}.
   *
   * @throws SecAggException NOT_A_PARTICIPANT (not in U2), DUPLICATE
   */
  public synchronized MaskedInput openMaskedInput(String from) throws SecAggException {
    requirePhase(Phase.MASKING);
    if (!u2.contains(from)) {
      throw new SecAggException(Reason.NOT_A_PARTICIPANT, "'" + from + "' did not share keys in round " + config.round());
    }
    if (inputs.containsKey(from)) {
      throw new SecAggException(Reason.DUPLICATE, "'" + from + "' already sent its masked input");
    }
    MaskedInput input = new MaskedInput(from);
    inputs.put(from, input);
    return input;
  }

  /** One node's masked input, added to the running sum chunk by chunk in order. */
  public final class MaskedInput {
    private final String nodeId;
    private int received;
    private boolean committed;
    private final int[] scratch = new int[ADD_BLOCK];

    private MaskedInput(String nodeId) {
      this.nodeId = nodeId;
    }

    /** Adds the chunk's remaining ints (the next coordinates of this input) to the sum; the chunk advances. */
    public void add(IntBuffer chunk) throws SecAggException {
      synchronized (SecAggServer.this) {
        requirePhase(Phase.MASKING);
        if (committed) {
          throw new SecAggException(Reason.MALFORMED, "the input of '" + nodeId + "' is already complete");
        }
        int n = chunk.remaining();
        if ((long) received + n > config.vectorLength()) {
          throw new SecAggException(Reason.MALFORMED, "'" + nodeId + "' sent more than " + config.vectorLength() + " values");
        }
        for (int done = 0; done < n; ) {
          int count = Math.min(ADD_BLOCK, n - done);
          chunk.get(scratch, 0, count);
          int at = received + done;
          for (int i = 0; i < count; i++) {
            sum[at + i] += scratch[i];
          }
          done += count;
        }
        received += n;
      }
    }

    /** Marks the input complete: the node is a survivor (in U3). */
    public void commit() throws SecAggException {
      synchronized (SecAggServer.this) {
        requirePhase(Phase.MASKING);
        if (received != config.vectorLength()) {
          throw new SecAggException(Reason.INCOMPLETE_INPUT, "'" + nodeId + "' sent " + received + " of " + config.vectorLength() + " values");
        }
        committed = true;
      }
    }
  }

  /**
   * Ends round 2: the unmask request for every survivor (U3: committed inputs); the other nodes
   * of U2 are reported dropped.
   *
   * @throws SecAggException INCOMPLETE_INPUT (an input was started and not committed) or
   *     BELOW_THRESHOLD; either fails the round
   */
  public synchronized UnmaskRequest closeMaskedInput() throws SecAggException {
    requirePhase(Phase.MASKING);
    List<String> u3 = new ArrayList<>();
    for (MaskedInput in : inputs.values()) {
      if (!in.committed) {
        throw fail(Reason.INCOMPLETE_INPUT, "the input of '" + in.nodeId + "' is partly in the sum and incomplete");
      }
      u3.add(in.nodeId);
    }
    requireThreshold(u3.size(), "nodes delivered masked inputs");
    List<String> gone = new ArrayList<>();
    for (String id : sharesBySender.keySet()) {
      if (!inputs.containsKey(id)) {
        gone.add(id);
      }
    }
    request = new UnmaskRequest(config.round(), u3, gone);
    survivors = Set.copyOf(u3);
    dropped = Set.copyOf(gone);
    phase = Phase.UNMASKING;
    return request;
  }

  /**
   * Round 3: one survivor's shares.
   *
   * @throws SecAggException WRONG_NODE, WRONG_ROUND, NOT_A_PARTICIPANT (not a survivor),
   *     DUPLICATE, MALFORMED (not exactly the asked shares, or shares of another holder)
   */
  public synchronized void receiveUnmaskResponse(String from, UnmaskResponse response) throws SecAggException {
    requirePhase(Phase.UNMASKING);
    if (!response.nodeId().equals(from)) {
      throw new SecAggException(Reason.WRONG_NODE, "'" + from + "' sent a response as '" + response.nodeId() + "'");
    }
    if (response.round() != config.round()) {
      throw new SecAggException(Reason.WRONG_ROUND, "a response for round " + response.round() + " in round " + config.round());
    }
    if (!survivors.contains(from)) {
      throw new SecAggException(Reason.NOT_A_PARTICIPANT, "'" + from + "' is not a survivor of round " + config.round());
    }
    if (responses.containsKey(from)) {
      throw new SecAggException(Reason.DUPLICATE, "'" + from + "' already answered");
    }
    int x = config.shareIndex(from);
    Set<String> owners = new HashSet<>();
    for (RevealedShare r : response.shares()) {
      RevealedShare.Kind expected =
          survivors.contains(r.owner()) ? RevealedShare.Kind.SELF_MASK_SEED : dropped.contains(r.owner()) ? RevealedShare.Kind.MASK_KEY : null;
      if (r.kind() != expected || r.share().x() != x || !owners.add(r.owner())) {
        throw new SecAggException(Reason.MALFORMED, "'" + from + "' answered with a share it was not asked for (" + r.owner() + ", " + r.kind() + ")");
      }
    }
    if (owners.size() != survivors.size() + dropped.size()) {
      throw new SecAggException(Reason.MALFORMED, "'" + from + "' answered for " + owners.size() + " of the nodes asked about");
    }
    responses.put(from, response);
  }

  /** How many survivors answered so far. */
  public synchronized int responseCount() {
    return responses.size();
  }

  /**
   * Ends the round: reconstructs the secrets, removes every remaining mask from the sum and
   * writes the decoded float sum of the survivors' deltas into {@code out} (which must have room
   * for the whole vector, and advances past it). Nothing is written unless every step succeeded.
   *
   * @return the survivors whose deltas the sum holds
   * @throws SecAggException BELOW_THRESHOLD (fewer than threshold responses) or
   *     RECONSTRUCTION_FAILED; either fails the round
   */
  public synchronized List<String> finish(FloatBuffer out) throws SecAggException {
    requirePhase(Phase.UNMASKING);
    if (out.isReadOnly() || out.remaining() < config.vectorLength()) {
      throw new IllegalArgumentException("the output must be writable with room for " + config.vectorLength() + " floats");
    }
    requireThreshold(responses.size(), "survivors answered the unmask request");
    // reconstruct everything first: a failure must not leave a half-unmasked sum behind
    Map<String, byte[]> seeds = new TreeMap<>();
    for (String u : request.survivors()) {
      seeds.put(u, reconstruct(u, RevealedShare.Kind.SELF_MASK_SEED));
    }
    Map<String, byte[]> maskKeys = new TreeMap<>();
    for (String v : request.dropped()) {
      byte[] key = reconstruct(v, RevealedShare.Kind.MASK_KEY);
      if (!MessageDigest.isEqual(X25519.publicOf(key), advertisements.get(v).maskKey())) {
        throw fail(Reason.RECONSTRUCTION_FAILED, "the reconstructed mask key of '" + v + "' does not match its advertised public key");
      }
      maskKeys.put(v, key);
    }
    List<MaskGenerator> subtract = new ArrayList<>();
    List<MaskGenerator> add = new ArrayList<>();
    for (byte[] seed : seeds.values()) {
      subtract.add(new MaskGenerator(seed));
    }
    for (Map.Entry<String, byte[]> entry : maskKeys.entrySet()) {
      String v = entry.getKey();
      PrivateKey key = X25519.privateKey(entry.getValue());
      for (String u : request.survivors()) {
        byte[] seed;
        try {
          seed = PairwiseSeeds.maskSeed(config, v, key, u, advertisements.get(u).maskKey());
        } catch (SecAggException e) {
          throw fail(Reason.RECONSTRUCTION_FAILED, "cannot recompute the mask between '" + u + "' and '" + v + "': " + e.getMessage());
        }
        // u applied this mask with sign maskSign(u, v); take it back out with the opposite sign
        (PairwiseSeeds.maskSign(u, v) > 0 ? subtract : add).add(new MaskGenerator(seed));
      }
    }
    // chunk by chunk, every mask on a chunk while it is in cache, then decoded
    IntBuffer whole = IntBuffer.wrap(sum);
    for (int at = 0; at < sum.length; at += UNMASK_CHUNK) {
      IntBuffer chunk = whole.duplicate().position(at).limit(Math.min(sum.length, at + UNMASK_CHUNK));
      for (MaskGenerator g : subtract) {
        g.subtract(chunk, at);
      }
      for (MaskGenerator g : add) {
        g.add(chunk, at);
      }
      ring.decode(chunk, out);
    }
    sum = null;
    phase = Phase.DONE;
    return request.survivors();
  }

  private byte[] reconstruct(String owner, RevealedShare.Kind kind) throws SecAggException {
    List<SecretShare> shares = new ArrayList<>();
    for (UnmaskResponse r : responses.values()) {
      for (RevealedShare s : r.shares()) {
        if (s.owner().equals(owner) && s.kind() == kind) {
          shares.add(s.share());
        }
      }
    }
    try {
      return ShamirSharing.reconstruct(shares, config.threshold());
    } catch (SecAggException e) {
      throw fail(Reason.RECONSTRUCTION_FAILED, "cannot reconstruct the " + kind + " of '" + owner + "': " + e.getMessage());
    }
  }

  private void requireThreshold(int count, String what) throws SecAggException {
    if (count < config.threshold()) {
      throw fail(Reason.BELOW_THRESHOLD, "only " + count + " " + what + "; round " + config.round() + " needs " + config.threshold());
    }
  }

  private void requirePhase(Phase expected) throws SecAggException {
    if (phase == Phase.FAILED) {
      throw new SecAggException(Reason.ROUND_FAILED, "round " + config.round() + " failed: " + failure);
    }
    if (phase != expected) {
      throw new SecAggException(Reason.WRONG_STATE, "round " + config.round() + " is in phase " + phase + ", not " + expected);
    }
  }

  private SecAggException fail(Reason reason, String message) {
    phase = Phase.FAILED;
    failure = message;
    sum = null;
    return new SecAggException(reason, message);
  }
}
