package io.fedbase.coordinator.round;

import io.fedbase.wire.WireText;

/** A call from a node an operator removed; the transport answers PERMISSION_DENIED. */
public final class NodeRemovedException extends RuntimeException {

  public NodeRemovedException(String nodeId) {
    super("node '" + WireText.field(nodeId) + "' was removed from the federation by an operator");
  }
}
