package io.fedbase.coordinator.transport;

import io.fedbase.wire.WireText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One structured line on the {@code fedbase.audit} logger for every refused authentication (a
 * TLS handshake without a certificate of the federation's CA, a revoked certificate, one naming no
 * fedbase identity) and every refused authorization (a role that may not call the method, a node
 * acting as another):
 *
 * <pre>
 * audit outcome=refused kind=authorization who=analyst peer=192.0.2.7:51234 what=fedbase.v1.Federation/Join reason="..."
 * </pre>
 *
 * <p>Every value a client controls goes through {@link WireText}; values that are not one plain
 * word are quoted with {@code \} and {@code "} escaped, so each line parses as key=value pairs.
 * Successful calls are not audited. A flood cannot fill the disk: at most {@link
 * #LINES_PER_MINUTE} lines per kind per minute are written; the rest are counted and, when the
 * minute is over, summed up in one line {@code audit suppressed=K kind=... in the last minute}.
 */
public final class SecurityAudit {

  /** What was refused. */
  public enum Kind {
    AUTHENTICATION("authentication"),
    AUTHORIZATION("authorization");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  /**
   * Counts every refusal, written to the log or not: the true volume for a dashboard or an alert
   * while the log is rate-limited.
   */
  public interface Tally {
    void accessRefused(Kind kind);
  }

  /** The logger audit lines go to, for operators who route them elsewhere. */
  public static final String LOGGER = "fedbase.audit";

  /** Lines written per kind and minute before the rest are only counted. */
  public static final int LINES_PER_MINUTE = 20;

  /** What {@code what=} says for a refusal before any method was called. */
  public static final String TLS_HANDSHAKE = "tls-handshake";

  private static final Duration WINDOW = Duration.ofMinutes(1);
  /** The longest reason quoted; refusal descriptions are a sentence. */
  private static final int REASON = 300;
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._:/@\\[\\]-]+");

  private static ScheduledExecutorService summaries;

  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final Consumer<String> out;
  private final Tally tally;
  private final Map<Kind, LineBudget> budgets = new EnumMap<>(Kind.class);

  /**
   * @param clock what decides when a minute is over
   * @param scheduler where the summary of a minute that suppressed lines is written when it ends
   * @param linesPerMinute lines written per kind and minute
   * @param out where the lines go
   * @param tally what counts every refusal
   */
  public SecurityAudit(Clock clock, ScheduledExecutorService scheduler, int linesPerMinute, Consumer<String> out, Tally tally) {
    this.clock = clock;
    this.scheduler = scheduler;
    this.out = out;
    this.tally = tally;
    for (Kind kind : Kind.values()) {
      budgets.put(kind, new LineBudget(linesPerMinute, WINDOW));
    }
  }

  /**
   * The coordinator's audit: {@link #LINES_PER_MINUTE} lines per kind and minute to {@link
   * #LOGGER} at WARN, every refusal counted in {@code tally}.
   */
  public static SecurityAudit toLog(Tally tally) {
    Logger log = LoggerFactory.getLogger(LOGGER);
    return new SecurityAudit(Clock.systemUTC(), summaryThread(), LINES_PER_MINUTE, line -> log.warn("{}", line), tally);
  }

  /** One daemon thread for the whole process: it only ever writes a summary line a minute. */
  private static synchronized ScheduledExecutorService summaryThread() {
    if (summaries == null) {
      summaries =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "fedbase-audit");
                t.setDaemon(true);
                return t;
              });
    }
    return summaries;
  }

  /**
   * Records a refusal.
   *
   * @param who the certificate's fedbase id, else its subject, else {@code unknown}
   * @param peer the peer's address ({@link PeerAddress})
   * @param what the full method name, or {@link #TLS_HANDSHAKE}
   * @param reason why, as the refusal says it
   */
  public void refused(Kind kind, String who, String peer, String what, String reason) {
    tally.accessRefused(kind);
    String line =
        "audit outcome=refused kind=" + kind.key() + " who=" + value(who) + " peer=" + value(peer) + " what=" + value(what) + " reason=" + quoted(reason);
    synchronized (this) {
      Instant now = clock.instant();
      LineBudget budget = budgets.get(kind);
      // the summary of a minute that ended comes before the next minute's first line
      summarise(kind, budget.endIfOver(now));
      switch (budget.admit(now)) {
        case WRITE -> out.accept(line);
        case SUPPRESS_FIRST -> summariseAt(kind, budget.windowEnd());
        case SUPPRESS -> {}
      }
    }
  }

  private void summariseAt(Kind kind, Instant end) {
    long delay = Math.max(0, Duration.between(clock.instant(), end).toNanos());
    scheduler.schedule(() -> summariseIfOver(kind), delay, TimeUnit.NANOSECONDS);
  }

  private synchronized void summariseIfOver(Kind kind) {
    LineBudget budget = budgets.get(kind);
    Instant end = budget.windowEnd();
    if (end == null) {
      return; // a later refusal already wrote the summary
    }
    Instant now = clock.instant();
    if (now.isBefore(end)) {
      summariseAt(kind, end); // the timer ran early by this clock
      return;
    }
    summarise(kind, budget.endIfOver(now));
  }

  private void summarise(Kind kind, int suppressed) {
    if (suppressed > 0) {
      out.accept("audit suppressed=" + suppressed + " kind=" + kind.key() + " in the last minute");
    }
  }

  /** {@code text} as one value: bare if a plain word, else quoted. */
  private static String value(String text) {
    String safe = WireText.field(text == null || text.isEmpty() ? "unknown" : text);
    return PLAIN.matcher(safe).matches() ? safe : quoted(safe);
  }

  private static String quoted(String text) {
    return "\"" + WireText.line(text, REASON).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
