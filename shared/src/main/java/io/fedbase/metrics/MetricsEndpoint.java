package io.fedbase.metrics;

import com.sun.net.httpserver.HttpServer;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import io.prometheus.client.hotspot.DefaultExports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * {@code /metrics} (Prometheus text format, with JVM and process metrics) and {@code /healthz}
 * (200 "ok" while {@code healthy} says so, 503 otherwise) on one HTTP port.
 */
public final class MetricsEndpoint implements AutoCloseable {

  private final HTTPServer server;

  private MetricsEndpoint(HTTPServer server) {
    this.server = server;
  }

  /** Serves {@code registry} (plus JVM metrics registered into it) on {@code address}. */
  public static MetricsEndpoint start(InetSocketAddress address, CollectorRegistry registry, BooleanSupplier healthy)
      throws IOException {
    DefaultExports.register(registry);
    HttpServer http = HttpServer.create(address, 3);
    http.createContext(
        "/healthz",
        exchange -> {
          boolean ok = healthy.getAsBoolean();
          byte[] body = (ok ? "ok\n" : "unavailable\n").getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    return new MetricsEndpoint(new HTTPServer.Builder().withHttpServer(http).withRegistry(registry).withDaemonThreads(true).build());
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.close();
  }
}
