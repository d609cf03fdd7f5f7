package io.fedbase.coordinator.round;

import io.fedbase.security.Identity;
import io.fedbase.wire.WireText;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Who belongs to the federation and who is connected now: the nodes that joined and the round
 * stream of each connected one (at most one per node; a newer stream replaces an older). Guarded by
 * the round engine's lock.
 */
final class Membership {

  private final Set<String> joined = new HashSet<>();
  private final Map<String, RoundWatcher> streams = new TreeMap<>();

  /** Refuses a node id that certificates could not carry (Identity's rule: 1-64 of [A-Za-z0-9._-], starting with a letter or digit). */
  static void requireValidNodeId(String nodeId) {
    Identity.requireValidId(nodeId);
  }

  /** Adds a node; whether it is new. */
  boolean join(String nodeId) {
    return joined.add(nodeId);
  }

  boolean hasJoined(String nodeId) {
    return joined.contains(nodeId);
  }

  /** Opens (or replaces) {@code nodeId}'s stream; the node must have joined. */
  void connect(String nodeId, RoundWatcher stream) {
    if (!joined.contains(nodeId)) {
      throw new IllegalStateException("node '" + WireText.field(nodeId) + "' has not joined; call Join first");
    }
    streams.put(nodeId, stream);
  }

  /** Closes {@code nodeId}'s stream if {@code stream} is still its current one; whether it was. */
  boolean disconnect(String nodeId, RoundWatcher stream) {
    return streams.remove(nodeId, stream);
  }

  /** Forgets a node entirely; its stream, if it had one, for the caller to end. */
  Optional<RoundWatcher> remove(String nodeId) {
    joined.remove(nodeId);
    return Optional.ofNullable(streams.remove(nodeId));
  }

  boolean isConnected(String nodeId) {
    return streams.containsKey(nodeId);
  }

  /** The connected node's stream. */
  Optional<RoundWatcher> stream(String nodeId) {
    return Optional.ofNullable(streams.get(nodeId));
  }

  /** The connected nodes, in id order. */
  List<String> connected() {
    return new ArrayList<>(streams.keySet());
  }

  int joinedCount() {
    return joined.size();
  }

  int connectedCount() {
    return streams.size();
  }

  /** Tells every connected node something. */
  void tellAll(Consumer<RoundWatcher> message) {
    streams.values().forEach(message);
  }

  /** Ends every stream with {@code last} (finished, or shutting down). */
  void endAll(Consumer<RoundWatcher> last) {
    streams.values().forEach(last);
    streams.clear();
  }
}
