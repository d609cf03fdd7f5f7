package io.fedbase.coordinator;

import static io.fedbase.coordinator.FederationFixture.bytesOf;
import static io.fedbase.coordinator.FederationFixture.chunks;
import static io.fedbase.coordinator.FederationFixture.randomDelta;
import static io.fedbase.coordinator.RoundProtocolTest.awaitStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.coordinator.metrics.CoordinatorMetrics;
import io.fedbase.metrics.MetricsEndpoint;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.RoundAssignment;
import io.fedbase.proto.v1.UpdateHeader;
import io.grpc.StatusRuntimeException;
import io.prometheus.client.CollectorRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics and /healthz scraped over HTTP while a real coordinator runs rounds. */
class MetricsTest {

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void countersMoveExactlyAsTheRoundsDictate() throws Exception {
    CollectorRegistry registry = new CollectorRegistry(true);
    CoordinatorMetrics metrics = new CoordinatorMetrics(registry);
    AtomicBoolean healthy = new AtomicBoolean(true);
    try (FederationFixture f = new FederationFixture(dir, 2, 2, Duration.ofSeconds(60), 0, metrics);
        MetricsEndpoint endpoint = MetricsEndpoint.start(new InetSocketAddress("127.0.0.1", 0), registry, healthy::get)) {
      String base = "http://127.0.0.1:" + endpoint.port();
      Map<String, Double> start = scrape(base);
      assertEquals(0.0, start.get("fedbase_rounds_total{outcome=\"committed\"}"));
      assertEquals(1.0, start.get("fedbase_round_phase{phase=\"waiting\"}"));
      assertTrue(start.containsKey("jvm_memory_bytes_used{area=\"heap\"}"), "JVM metrics are exported");

      FederationFixture.Node a = f.new Node("a");
      FederationFixture.Node b = f.new Node("b");
      RoundAssignment ra = a.nextAssignment();
      RoundAssignment rb = b.nextAssignment();
      Map<String, Double> collecting = scrape(base);
      assertEquals(1.0, collecting.get("fedbase_round_phase{phase=\"collecting\"}"));
      assertEquals(2.0, collecting.get("fedbase_nodes_connected"));

      UpdateHeader h = a.header(ra, 2).build();
      byte[] payload = bytesOf(randomDelta(1, 0.01f));
      assertThrows(StatusRuntimeException.class, () -> f.send(chunks(h.toBuilder().setPriorVersion(5).build(), payload, null)));
      assertThrows(StatusRuntimeException.class, () -> f.send(chunks(h, payload, "00".repeat(32))));
      assertThrows(StatusRuntimeException.class, () -> f.send(chunks(h, payload, "11".repeat(32))));
      Map<String, Double> refused = scrape(base);
      assertEquals(1.0, refused.get("fedbase_updates_total{outcome=\"refused\",reason=\"stale_version\"}"));
      assertEquals(2.0, refused.get("fedbase_updates_total{outcome=\"refused\",reason=\"checksum_mismatch\"}"));
      assertEquals(0.0, refused.get("fedbase_updates_total{outcome=\"refused\",reason=\"non_finite\"}"));
      assertEquals(0.0, refused.get("fedbase_updates_total{outcome=\"accepted\",reason=\"\"}"));
      assertEquals(2.0 * payload.length, refused.get("fedbase_transfer_bytes_total{direction=\"in\"}"), "only chunks that reached the receiver");

      a.submit(ra, randomDelta(2, 0.01f), 2);
      a.submit(ra, randomDelta(2, 0.01f), 2);
      b.submit(rb, randomDelta(3, 0.01f), 1);
      awaitStatus(f, s -> s.getPriorVersion() == 1);
      Map<String, Double> committed = scrape(base);
      assertEquals(1.0, committed.get("fedbase_rounds_total{outcome=\"committed\"}"));
      assertEquals(0.0, committed.get("fedbase_rounds_total{outcome=\"failed\"}"));
      assertEquals(2.0, committed.get("fedbase_updates_total{outcome=\"accepted\",reason=\"\"}"));
      assertEquals(1.0, committed.get("fedbase_updates_total{outcome=\"duplicate\",reason=\"\"}"));
      assertEquals(3.0, committed.get("fedbase_update_tasks_total"));
      assertEquals(1.0, committed.get("fedbase_prior_version"));
      assertEquals(1.0, committed.get("fedbase_round_duration_seconds_count"));
      assertEquals(2.0, committed.get("fedbase_round_reported_nodes"));
      assertTrue(committed.get("fedbase_meta_update_norm{part=\"weights\"}") > 0);
      assertTrue(committed.get("fedbase_prior_bytes") > 4.0 * FederationFixture.LAYOUT.totalSize());
      double entropy = committed.get("fedbase_search_entropy{cell=\"normal\"}");
      assertTrue(entropy > 0 && entropy <= Math.log(FederationFixture.SPEC.operations().size()) + 1e-9, "entropy " + entropy);
      double agreement = committed.get("fedbase_search_node_agreement");
      assertTrue(agreement > -0.5 && agreement < 0.5, "independent random deltas barely agree: " + agreement);
      assertTrue(committed.containsKey("fedbase_search_argmax_changes{cell=\"reduce\"}"));

      f.blocking.fetchPrior(FetchPriorRequest.newBuilder().setVersion(1).build()).forEachRemaining(c -> {});
      assertEquals(
          (double) java.nio.file.Files.size(dir.resolve("prior-v00000001.fbb")),
          scrape(base).get("fedbase_transfer_bytes_total{direction=\"out\"}"));

      assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      healthy.set(false);
      assertEquals(503, http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }
  }

  /** Parses the text exposition format into "name{labels}" -> value. */
  private Map<String, Double> scrape(String base) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    Map<String, Double> out = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      // simpleclient 0.16 writes a trailing comma inside the label set
      out.put(line.substring(0, space).replace(",}", "}"), Double.parseDouble(line.substring(space + 1)));
    }
    return out;
  }
}
