package io.fedbase.coordinator.round;

import io.fedbase.coordinator.aggregate.UpdateReceiver;
import java.time.Instant;

/** What beginning an upload yields: a receiver for a new upload, or the receipt of an accepted one. */
public sealed interface UploadStart {

  /** A new upload: feed the payload to the receiver. */
  record Fresh(UpdateReceiver receiver, Instant roundDeadline) implements UploadStart {}

  /** This node's update for the round was already accepted; answer with the receipt, count nothing. */
  record Repeat(Receipt receipt) implements UploadStart {}
}
