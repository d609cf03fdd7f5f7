package io.fedbase.coordinator.transport;

import io.fedbase.wire.WireText;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what gRPC's Netty server logs with a full stack trace when a peer breaks the protocol into
 * one line each: the exception's class and its message, made safe with {@link WireText}. Any
 * client can cause these at will (HTTP/1 sent to the gRPC port, a message over the size limit, a
 * broken HTTP/2 stream), so each would otherwise cost the log dozens of lines, and the traces only
 * ever point into Netty.
 *
 * <p>Only the records listed here, and only at INFO and WARNING, are rewritten; everything else —
 * SEVERE records in particular, and whatever our own code logs — passes unchanged. gRPC logs
 * through java.util.logging, so this is a {@link Filter} on those loggers; the line goes to this
 * class's slf4j logger at the record's level.
 */
public final class TransportNoise {

  private static final Logger LOG = LoggerFactory.getLogger(TransportNoise.class);

  /** The longest exception message quoted (an HTTP/2 error may quote the peer's request line). */
  private static final int MESSAGE = 300;

  /** A record gRPC logs with a stack trace for a peer's fault: its logger and its message. */
  private record Known(String logger, String message) {}

  private static final List<Known> KNOWN =
      List.of(
          // a connection that ended with an HTTP/2 error (logged when it closes)
          new Known("io.grpc.netty.NettyServerTransport.connections", "Transport failed"),
          // a request that could not be read: over the size limit, or an unknown compression
          new Known("io.grpc.netty.NettyServerStream", "Exception processing message"),
          // an HTTP/2 stream the peer broke
          new Known("io.grpc.netty.NettyServerHandler", "Stream Error"));

  /**
   * The loggers filtered, held here because java.util.logging keeps loggers only weakly: one
   * collected before gRPC's class takes it would come back without the filter.
   */
  private static final java.util.logging.Logger[] FILTERED = new java.util.logging.Logger[KNOWN.size()];

  private TransportNoise() {}

  /** Installs the filters (once per process; later calls do nothing). */
  public static synchronized void install() {
    for (int i = 0; i < KNOWN.size(); i++) {
      if (FILTERED[i] == null) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(KNOWN.get(i).logger());
        logger.setFilter(new OneLine(KNOWN.get(i).message(), logger.getFilter()));
        FILTERED[i] = logger;
      }
    }
  }

  /** Replaces a record with {@code message} and an exception by one line; leaves the others to {@code previous}. */
  private record OneLine(String message, Filter previous) implements Filter {
    @Override
    public boolean isLoggable(LogRecord record) {
      boolean known =
          record.getThrown() != null
              && message.equals(record.getMessage())
              && (record.getLevel() == Level.INFO || record.getLevel() == Level.WARNING);
      if (!known) {
        return previous == null || previous.isLoggable(record);
      }
      String line = message + ": " + summary(record.getThrown());
      if (record.getLevel() == Level.WARNING) {
        LOG.warn("{}", line);
      } else {
        LOG.info("{}", line);
      }
      return false;
    }
  }

  /** {@code Http2Exception: Unexpected HTTP/1.x request: GET /}, with the cause's when it says more. */
  static String summary(Throwable t) {
    StringBuilder s = new StringBuilder(t.getClass().getSimpleName());
    if (t.getMessage() != null) {
      s.append(": ").append(t.getMessage());
    }
    Throwable cause = t.getCause();
    if (cause != null && cause != t && (t.getMessage() == null || !t.getMessage().contains(String.valueOf(cause.getMessage())))) {
      s.append(" (").append(cause.getClass().getSimpleName());
      if (cause.getMessage() != null) {
        s.append(": ").append(cause.getMessage());
      }
      s.append(")");
    }
    return WireText.line(s.toString(), MESSAGE);
  }
}
