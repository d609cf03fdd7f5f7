package io.fedbase.wire;

import com.google.protobuf.ByteString;
import io.fedbase.proto.v1.SecureAggregationAdvertisement;
import io.fedbase.proto.v1.SecureAggregationKeys;
import io.fedbase.proto.v1.SecureAggregationMessage;
import io.fedbase.proto.v1.SecureAggregationRelay;
import io.fedbase.proto.v1.SecureAggregationRevealedShare;
import io.fedbase.proto.v1.SecureAggregationShare;
import io.fedbase.proto.v1.SecureAggregationShares;
import io.fedbase.proto.v1.SecureAggregationUnmaskRequest;
import io.fedbase.proto.v1.SecureAggregationUnmaskResponse;
import io.fedbase.secagg.EncryptedShare;
import io.fedbase.secagg.KeyAdvertisement;
import io.fedbase.secagg.RevealedShare;
import io.fedbase.secagg.SecretShare;
import io.fedbase.secagg.SecureMessage;
import io.fedbase.secagg.SecureStep;
import io.fedbase.secagg.SignedKeys;
import io.fedbase.secagg.UnmaskRequest;
import io.fedbase.secagg.UnmaskResponse;
import java.util.List;

/**
 * Translates secure-aggregation messages between the protocol and {@code io.fedbase.secagg}; both
 * the coordinator and the node use it, so the two sides cannot disagree on a field. Translation
 * only: every check is the domain's.
 */
public final class SecureAggregationWire {

  private SecureAggregationWire() {}

  /** A relay for one node as the coordinator sends it. */
  public static SecureAggregationRelay toWire(SecureStep step) {
    SecureAggregationRelay.Builder b = SecureAggregationRelay.newBuilder().setRound(step.round());
    if (step instanceof SecureStep.Keys k) {
      SecureAggregationKeys.Builder keys = SecureAggregationKeys.newBuilder();
      for (SignedKeys signed : k.advertisements()) {
        keys.addAdvertisements(toWire(signed.advertisement(), signed.certificate()));
      }
      b.setKeys(keys);
    } else if (step instanceof SecureStep.Shares sh) {
      b.setShares(sharesToWire(sh.shares()));
    } else {
      b.setUnmask(toWire(((SecureStep.Unmask) step).request()));
    }
    return b.build();
  }

  /**
   * A relay as the node reads it.
   *
   * @throws IllegalArgumentException for a relay with no step
   */
  public static SecureStep fromWire(SecureAggregationRelay relay) {
    long round = relay.getRound();
    return switch (relay.getStepCase()) {
      case KEYS ->
          new SecureStep.Keys(
              round,
              relay.getKeys().getAdvertisementsList().stream()
                  .map(a -> new SignedKeys(fromWire(round, a), a.getCertificate().toByteArray()))
                  .toList());
      case SHARES -> new SecureStep.Shares(round, sharesFromWire(round, relay.getShares()));
      case UNMASK -> new SecureStep.Unmask(round, fromWire(round, relay.getUnmask()));
      case STEP_NOT_SET -> throw new IllegalArgumentException("a secure-aggregation relay without a step");
    };
  }

  /** A node's message as it sends it. */
  public static SecureAggregationMessage toWire(String nodeId, long round, SecureMessage message) {
    SecureAggregationMessage.Builder b = SecureAggregationMessage.newBuilder().setNodeId(nodeId).setRound(round);
    if (message instanceof SecureMessage.Advertise a) {
      b.setAdvertisement(toWire(a.advertisement(), a.certificate()));
    } else if (message instanceof SecureMessage.Share sh) {
      b.setShares(sharesToWire(sh.shares()));
    } else {
      b.setUnmask(toWire(((SecureMessage.Reveal) message).response()));
    }
    return b.build();
  }

  /**
   * A node's message as the coordinator reads it.
   *
   * @throws IllegalArgumentException for a message with no step, or one naming two node ids
   */
  public static SecureMessage fromWire(SecureAggregationMessage m) {
    return switch (m.getStepCase()) {
      case ADVERTISEMENT -> {
        if (!m.getAdvertisement().getNodeId().equals(m.getNodeId())) {
          throw new IllegalArgumentException(
              "the advertisement names node '" + m.getAdvertisement().getNodeId() + "', the message '" + m.getNodeId() + "'");
        }
        yield new SecureMessage.Advertise(fromWire(m.getRound(), m.getAdvertisement()), m.getAdvertisement().getCertificate().toByteArray());
      }
      case SHARES -> new SecureMessage.Share(sharesFromWire(m.getRound(), m.getShares()));
      case UNMASK -> new SecureMessage.Reveal(fromWire(m.getRound(), m.getNodeId(), m.getUnmask()));
      case STEP_NOT_SET -> throw new IllegalArgumentException("a secure-aggregation message without a step");
    };
  }

  public static SecureAggregationAdvertisement toWire(KeyAdvertisement a, byte[] certificateDer) {
    return SecureAggregationAdvertisement.newBuilder()
        .setNodeId(a.nodeId())
        .setConfigHash(ByteString.copyFrom(a.configHash()))
        .setEncryptionKey(ByteString.copyFrom(a.encryptionKey()))
        .setMaskKey(ByteString.copyFrom(a.maskKey()))
        .setSignature(ByteString.copyFrom(a.signature()))
        .setCertificate(ByteString.copyFrom(certificateDer))
        .build();
  }

  public static KeyAdvertisement fromWire(long round, SecureAggregationAdvertisement a) {
    return new KeyAdvertisement(
        round, a.getNodeId(), a.getConfigHash().toByteArray(), a.getEncryptionKey().toByteArray(), a.getMaskKey().toByteArray(), a.getSignature().toByteArray());
  }

  public static SecureAggregationShares sharesToWire(List<EncryptedShare> shares) {
    SecureAggregationShares.Builder b = SecureAggregationShares.newBuilder();
    for (EncryptedShare s : shares) {
      b.addShares(
          SecureAggregationShare.newBuilder()
              .setSender(s.sender())
              .setReceiver(s.receiver())
              .setNonce(ByteString.copyFrom(s.nonce()))
              .setCiphertext(ByteString.copyFrom(s.ciphertext())));
    }
    return b.build();
  }

  public static List<EncryptedShare> sharesFromWire(long round, SecureAggregationShares shares) {
    return shares.getSharesList().stream()
        .map(s -> new EncryptedShare(round, s.getSender(), s.getReceiver(), s.getNonce().toByteArray(), s.getCiphertext().toByteArray()))
        .toList();
  }

  public static SecureAggregationUnmaskRequest toWire(UnmaskRequest r) {
    return SecureAggregationUnmaskRequest.newBuilder().addAllSurvivors(r.survivors()).addAllDropped(r.dropped()).build();
  }

  public static UnmaskRequest fromWire(long round, SecureAggregationUnmaskRequest r) {
    return new UnmaskRequest(round, r.getSurvivorsList(), r.getDroppedList());
  }

  public static SecureAggregationUnmaskResponse toWire(UnmaskResponse r) {
    SecureAggregationUnmaskResponse.Builder b = SecureAggregationUnmaskResponse.newBuilder();
    for (RevealedShare s : r.shares()) {
      b.addShares(
          SecureAggregationRevealedShare.newBuilder()
              .setOwner(s.owner())
              .setKind(
                  s.kind() == RevealedShare.Kind.SELF_MASK_SEED
                      ? SecureAggregationRevealedShare.Kind.KIND_SELF_MASK_SEED
                      : SecureAggregationRevealedShare.Kind.KIND_MASK_KEY)
              .setX(s.share().x())
              .setY(ByteString.copyFrom(s.share().y()))
              .setCommitment(ByteString.copyFrom(s.share().commitment())));
    }
    return b.build();
  }

  /**
   * @throws IllegalArgumentException for a share of no known kind
   */
  public static UnmaskResponse fromWire(long round, String nodeId, SecureAggregationUnmaskResponse r) {
    return new UnmaskResponse(
        round,
        nodeId,
        r.getSharesList().stream()
            .map(
                s ->
                    new RevealedShare(
                        s.getOwner(),
                        switch (s.getKind()) {
                          case KIND_SELF_MASK_SEED -> RevealedShare.Kind.SELF_MASK_SEED;
                          case KIND_MASK_KEY -> RevealedShare.Kind.MASK_KEY;
                          default -> throw new IllegalArgumentException("a revealed share of unknown kind " + s.getKindValue());
                        },
                        new SecretShare(s.getX(), s.getY().toByteArray(), s.getCommitment().toByteArray())))
            .toList());
  }
}
