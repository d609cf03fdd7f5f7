package io.fedbase.wire;

import com.google.protobuf.ByteString;
import io.fedbase.proto.v1.SecureAggregationAdvertisement;
import io.fedbase.proto.v1.SecureAggregationRevealedShare;
import io.fedbase.proto.v1.SecureAggregationShare;
import io.fedbase.proto.v1.SecureAggregationShares;
import io.fedbase.proto.v1.SecureAggregationUnmaskRequest;
import io.fedbase.proto.v1.SecureAggregationUnmaskResponse;
import io.fedbase.secagg.EncryptedShare;
import io.fedbase.secagg.KeyAdvertisement;
import io.fedbase.secagg.RevealedShare;
import io.fedbase.secagg.SecretShare;
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
