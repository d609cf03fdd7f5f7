package io.fedbase.coordinator;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * What is logged while a test runs: the lines written to System.err (where slf4j-simple writes,
 * still passed through) and the java.util.logging records gRPC and Netty's gRPC transport log.
 * Other tests' leftover threads may log meanwhile, so assertions should look for specific lines.
 */
final class LogCapture implements AutoCloseable {

  private final PrintStream original = System.err;
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Logger root = Logger.getLogger("");
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  LogCapture() {
    System.setErr(
        new PrintStream(
            new OutputStream() {
              @Override
              public void write(int b) {
                original.write(b);
                err.write(b);
              }

              @Override
              public void write(byte[] b, int off, int len) {
                original.write(b, off, len);
                err.write(b, off, len);
              }
            },
            true,
            StandardCharsets.UTF_8));
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
  }

  /** The lines written to System.err so far. */
  List<String> lines() {
    return Arrays.asList(err.toString(StandardCharsets.UTF_8).split("\\R"));
  }

  /** The lines written to System.err so far that contain {@code text}. */
  List<String> lines(String text) {
    return lines().stream().filter(l -> l.contains(text)).toList();
  }

  /** The java.util.logging records published so far (at the loggers' levels, INFO and up by default). */
  List<LogRecord> records() {
    return List.copyOf(records);
  }

  /** Records of {@code loggerPrefix}'s loggers that carry an exception, i.e. a stack trace in the log. */
  List<LogRecord> stackTraces(String loggerPrefix) {
    return records.stream().filter(r -> r.getThrown() != null && r.getLoggerName() != null && r.getLoggerName().startsWith(loggerPrefix)).toList();
  }

  @Override
  public void close() {
    System.setErr(original);
    root.removeHandler(handler);
  }
}
