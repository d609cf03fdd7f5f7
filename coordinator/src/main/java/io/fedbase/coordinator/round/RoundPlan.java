package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.AggregationProtocol;
import io.fedbase.coordinator.aggregate.RoundAggregator;
import io.fedbase.wire.Assignment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A configured round: each participant's instructions, the protocol that collects their uploads,
 * and the aggregator uploads are merged into (the protocol's own, or one that adds noise to its
 * result).
 */
public record RoundPlan(Map<String, Assignment> assignments, AggregationProtocol protocol, RoundAggregator aggregator) {

  public RoundPlan {
    // insertion order is the participants' order, in which they are sent their assignments
    assignments = Collections.unmodifiableMap(new LinkedHashMap<>(assignments));
  }

  /** A plan whose uploads merge into the protocol's own aggregator. */
  public static RoundPlan of(Map<String, Assignment> assignments, AggregationProtocol protocol) {
    return new RoundPlan(assignments, protocol, protocol.aggregator());
  }
}
