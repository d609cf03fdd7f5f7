package io.fedbase.coordinator.store;

import java.util.Set;
import java.util.TreeSet;

/**
 * What an operator has set on a running federation: whether new rounds are paused (and why) and
 * which nodes are removed. Kept in the state directory, so a restart keeps it.
 */
public record OperatorControls(boolean paused, String pauseReason, Set<String> removedNodes) {

  public OperatorControls {
    pauseReason = pauseReason == null ? "" : pauseReason;
    removedNodes = Set.copyOf(new TreeSet<>(removedNodes));
  }

  /** Nothing set. */
  public static OperatorControls none() {
    return new OperatorControls(false, "", Set.of());
  }

  public OperatorControls pause(String reason) {
    return new OperatorControls(true, reason, removedNodes);
  }

  public OperatorControls resume() {
    return new OperatorControls(false, "", removedNodes);
  }

  public OperatorControls remove(String nodeId) {
    Set<String> more = new TreeSet<>(removedNodes);
    more.add(nodeId);
    return new OperatorControls(paused, pauseReason, more);
  }

  public OperatorControls readmit(String nodeId) {
    Set<String> fewer = new TreeSet<>(removedNodes);
    fewer.remove(nodeId);
    return new OperatorControls(paused, pauseReason, fewer);
  }

  public boolean removed(String nodeId) {
    return removedNodes.contains(nodeId);
  }
}
