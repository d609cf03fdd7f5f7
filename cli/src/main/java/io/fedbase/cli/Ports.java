package io.fedbase.cli;

import io.fedbase.metrics.MetricsEndpoint;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.function.BooleanSupplier;

/** Listening ports of the long-running commands, with an error that says which port and which flag. */
public final class Ports {

  private Ports() {}

  /** Serves /metrics and /healthz on {@code port}, or null when {@code port} is negative. */
  public static MetricsEndpoint metrics(String host, int port, CollectorRegistry registry, BooleanSupplier healthy) throws IOException {
    if (port < 0) {
      return null;
    }
    try {
      return MetricsEndpoint.start(host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port), registry, healthy);
    } catch (IOException e) {
      throw explainBind(e, "metrics port " + port, "--metrics-port PORT (or --metrics-port -1 to serve no metrics)");
    }
  }

  /** A port free on loopback right now, for a child process the benchmarks start. */
  public static int freeLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * {@code e} itself, or when it is a port already taken, an error naming the port, the usual cause
   * (another fedbase process on this machine) and the flag that picks another one.
   */
  public static IOException explainBind(IOException e, String what, String flag) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return new IOException(what + " is already in use (another node or coordinator on this machine?); choose a free one with " + flag, e);
      }
    }
    return e;
  }
}
