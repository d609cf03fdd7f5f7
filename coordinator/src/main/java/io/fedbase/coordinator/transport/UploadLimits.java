package io.fedbase.coordinator.transport;

import io.fedbase.meta.InvalidSettingException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * How long an upload may go silent, and the clock and scheduler its watchdog runs on. An upload is
 * cut off after {@code idle} without a message (time spent waiting for a permit of the upload
 * gate does not count), and in any case when its round's deadline passes, so no participant can
 * hold a permit, its in-progress slot or a staging file past its round.
 */
public record UploadLimits(Duration idle, Clock clock, ScheduledExecutorService scheduler) {

  /** Silence an upload is allowed unless configured: far longer than a healthy 1 MiB chunk takes. */
  public static final Duration DEFAULT_IDLE = Duration.ofSeconds(30);

  public UploadLimits {
    if (idle == null || idle.isZero() || idle.isNegative()) {
      throw new InvalidSettingException("uploadIdleTimeout", "must be positive, got " + idle);
    }
  }
}
