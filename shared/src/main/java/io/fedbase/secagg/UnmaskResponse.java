package io.fedbase.secagg;

import java.util.List;
import java.util.Objects;

/**
 * Round 3 message, survivor to coordinator: for each survivor its share of the self-mask seed,
 * for each dropped node its share of the mask key — never both for one node.
 *
 * @param round the round
 * @param nodeId the responding node
 * @param shares one per node named in the request, sorted by owner
 */
public record UnmaskResponse(long round, String nodeId, List<RevealedShare> shares) {

  public UnmaskResponse {
    Objects.requireNonNull(nodeId, "nodeId");
    shares = List.copyOf(shares);
  }
}
