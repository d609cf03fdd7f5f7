package io.fedbase.coordinator.secure;

import io.fedbase.bundle.Bundle;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.secagg.EncryptedShare;
import io.fedbase.secagg.KeyAdvertisement;
import io.fedbase.secagg.RoundConfig;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecAggServer;
import io.fedbase.secagg.SecureStep;
import io.fedbase.secagg.SignedKeys;
import io.fedbase.secagg.UnmaskRequest;
import io.fedbase.secagg.UnmaskResponse;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The coordinator's side of one securely aggregated round: wraps the protocol state ({@link
 * SecAggServer}) with what the round logic needs — who has spoken at each step, so a step closes
 * as soon as every expected node answered, and the relays each step produces for each node. Its
 * methods are synchronized: masked uploads are added by merges that run without the round
 * engine's lock, while the steps are driven under it.
 */
public final class SecureRound {

  private final RoundConfig config;
  private final SecAggServer server;
  private final Map<String, byte[]> certificates = new LinkedHashMap<>();
  private final Set<String> shared = new HashSet<>();
  /** The newest relay each node was sent, so a node that reconnects mid-round can be sent it again. */
  private final Map<String, SecureStep> lastRelayed = new LinkedHashMap<>();
  private List<String> expected;
  private List<String> contributors = List.of();

  public SecureRound(RoundConfig config) {
    this.config = config;
    this.server = new SecAggServer(config);
    this.expected = config.participants();
  }

  public synchronized RoundConfig config() {
    return config;
  }

  public synchronized SecAggServer.Phase phase() {
    return server.phase();
  }

  /** Why the round failed, or null. */
  public synchronized String failure() {
    return server.failure();
  }

  /**
   * Step 0: a node's signed keys and certificate.
   *
   * @return whether every participant has now advertised (the step may close)
   */
  public synchronized boolean advertise(String from, KeyAdvertisement advertisement, byte[] certificate) throws SecAggException {
    server.receiveAdvertisement(from, advertisement);
    certificates.put(from, certificate.clone());
    return certificates.keySet().containsAll(expected);
  }

  /** Ends step 0: the relay of every advertisement to each node that advertised. */
  public synchronized Map<String, SecureStep> closeAdvertising() throws SecAggException {
    List<KeyAdvertisement> advertisements = server.closeAdvertising();
    List<SignedKeys> signed = advertisements.stream().map(a -> new SignedKeys(a, certificates.get(a.nodeId()))).toList();
    Map<String, SecureStep> relay = new LinkedHashMap<>();
    for (KeyAdvertisement a : advertisements) {
      relay.put(a.nodeId(), new SecureStep.Keys(config.round(), signed));
    }
    expected = List.copyOf(relay.keySet());
    shared.clear();
    return relayed(relay);
  }

  /**
   * Step 1: a node's encrypted shares for the others.
   *
   * @return whether every node that advertised has now shared (the step may close)
   */
  public synchronized boolean share(String from, List<EncryptedShare> shares) throws SecAggException {
    server.receiveShares(from, shares);
    shared.add(from);
    return shared.containsAll(expected);
  }

  /** Ends step 1: each node that shared gets the shares made for it, and may upload. */
  public synchronized Map<String, SecureStep> closeSharing() throws SecAggException {
    Map<String, List<EncryptedShare>> byReceiver = server.closeSharing();
    Map<String, SecureStep> relay = new LinkedHashMap<>();
    byReceiver.forEach((receiver, shares) -> relay.put(receiver, new SecureStep.Shares(config.round(), shares)));
    expected = List.copyOf(relay.keySet());
    return relayed(relay);
  }

  /** Records what a step relays, and returns it. */
  private Map<String, SecureStep> relayed(Map<String, SecureStep> relay) {
    lastRelayed.putAll(relay);
    return relay;
  }

  /** The newest step relayed to {@code node}, if any. */
  public synchronized Optional<SecureStep> lastRelayedTo(String node) {
    return Optional.ofNullable(lastRelayed.get(node));
  }

  /** Whether masked uploads are being taken (step 2). */
  public synchronized boolean acceptingUploads() {
    return server.phase() == SecAggServer.Phase.MASKING;
  }

  /** Nodes that may upload a masked delta (they shared keys). */
  public synchronized List<String> uploaders() {
    return expected;
  }

  /** Step 2: folds one node's whole masked upload into the sum, or nothing of it. */
  public synchronized void addMaskedInput(String from, IntBuffer masked) throws SecAggException {
    SecAggServer.MaskedInput input = server.openMaskedInput(from);
    input.add(masked);
    input.commit();
  }

  /** Ends step 2: every node whose upload is in the sum is asked for its unmasking shares. */
  public synchronized Map<String, SecureStep> closeMaskedInput() throws SecAggException {
    UnmaskRequest request = server.closeMaskedInput();
    Map<String, SecureStep> relay = new LinkedHashMap<>();
    for (String survivor : request.survivors()) {
      relay.put(survivor, new SecureStep.Unmask(config.round(), request));
    }
    expected = request.survivors();
    return relayed(relay);
  }

  /**
   * Step 3: a survivor's revealed shares.
   *
   * @return whether every survivor has now answered (the round may finish)
   */
  public synchronized boolean reveal(String from, UnmaskResponse response) throws SecAggException {
    server.receiveUnmaskResponse(from, response);
    return server.responseCount() >= expected.size();
  }

  /**
   * Ends the round: the unweighted mean of the survivors' clipped deltas (their decoded sum over
   * their count).
   */
  public synchronized Bundle finish(BundleLayout layout) throws SecAggException {
    float[] sum = new float[layout.totalSize()];
    contributors = server.finish(FloatBuffer.wrap(sum));
    float scale = 1f / contributors.size();
    for (int i = 0; i < sum.length; i++) {
      sum[i] *= scale;
    }
    return Bundle.of(layout, sum);
  }

  /** The nodes whose deltas the finished sum holds. */
  public synchronized List<String> contributors() {
    return contributors;
  }
}
