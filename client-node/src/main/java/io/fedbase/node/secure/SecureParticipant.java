package io.fedbase.node.secure;

import io.fedbase.bundle.Bundle;
import io.fedbase.secagg.KeyAdvertisement;
import io.fedbase.secagg.RoundConfig;
import io.fedbase.secagg.SecAggClient;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.secagg.SecureTerms;
import io.fedbase.secagg.SignedKeys;
import io.fedbase.security.SigningIdentity;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One node's part in one securely aggregated round: the protocol state ({@link SecAggClient}) and
 * the answer to each step the coordinator relays. Steps arrive on the round stream while the node
 * is still adapting; the upload waits until the shares have arrived.
 */
public final class SecureParticipant {

  /** Values masked at a time: the masked payload is built chunk by chunk from the clipped delta. */
  private static final int CHUNK_VALUES = 1 << 16;

  private final String nodeId;
  private final SecAggClient client;
  private final byte[] certificate;
  private final RelayedCertificates certificates;
  private final CompletableFuture<Void> sharesArrived = new CompletableFuture<>();

  private SecureParticipant(String nodeId, SecAggClient client, byte[] certificate, RelayedCertificates certificates) {
    this.nodeId = nodeId;
    this.client = client;
    this.certificate = certificate;
    this.certificates = certificates;
  }

  /** Joins round {@code round} of {@code participants} as the node {@code identity} names. */
  public static SecureParticipant join(long round, List<String> participants, SecureTerms terms, int vectorLength, SigningIdentity identity) {
    RoundConfig config = new RoundConfig(round, participants, terms.threshold(), vectorLength, terms.clip());
    // filled when the keys arrive: the certificates travel with them
    RelayedCertificates certificates = new RelayedCertificates(identity.ca());
    SecAggClient client = new SecAggClient(config, identity.nodeId(), identity.key(), certificates, new SecureRandom());
    try {
      return new SecureParticipant(identity.nodeId(), client, identity.certificate().getEncoded(), certificates);
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("the node's certificate cannot be encoded: " + e.getMessage(), e);
    }
  }

  public long round() {
    return client.config().round();
  }

  public String nodeId() {
    return nodeId;
  }

  /** Step 0: this node's signed keys (the same message if asked again). */
  public SecureMessage advertisement() {
    KeyAdvertisement a = client.advertise();
    return new SecureMessage.Advertise(a, certificate);
  }

  /**
   * The answer to a relayed step: shares for the keys, nothing for the shares (the upload may go
   * now), the revealed shares for an unmask request.
   */
  public Optional<SecureMessage> onStep(SecureStep step) throws SecAggException {
    if (step.round() != round()) {
      throw new SecAggException(SecAggException.Reason.WRONG_ROUND, "a step of round " + step.round() + " for round " + round());
    }
    if (step instanceof SecureStep.Keys keys) {
      certificates.accept(keys.advertisements());
      return Optional.of(new SecureMessage.Share(client.shareKeys(keys.advertisements().stream().map(SignedKeys::advertisement).toList())));
    }
    if (step instanceof SecureStep.Shares shares) {
      client.receiveShares(shares.shares());
      sharesArrived.complete(null);
      return Optional.empty();
    }
    return Optional.of(new SecureMessage.Reveal(client.unmask(((SecureStep.Unmask) step).request())));
  }

  /** Waits until the shares for this node arrived, so it may upload. */
  public void awaitShares(Duration timeout) throws TimeoutException, InterruptedException {
    try {
      sharesArrived.get(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * The masked upload: {@code delta} clipped to the round's L2 bound, in fixed point, with this
   * node's masks added (int32 little-endian).
   */
  public ByteBuffer masked(Bundle delta) throws SecAggException {
    float clip = client.config().clip();
    double norm = Math.hypot(delta.norm(false), delta.norm(true));
    Bundle clipped = norm > clip ? delta.scaled((float) (clip / norm)) : delta;
    FloatBuffer values = clipped.values();
    ByteBuffer payload = ByteBuffer.allocate(values.remaining() * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    IntBuffer out = payload.asIntBuffer();
    for (int offset = 0; values.hasRemaining(); offset += CHUNK_VALUES) {
      FloatBuffer chunk = values.slice().limit(Math.min(CHUNK_VALUES, values.remaining()));
      values.position(values.position() + chunk.remaining());
      client.maskChunk(chunk, out, offset);
    }
    return payload;
  }
}
