package io.fedbase.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.fedbase.data.ImageDataset;
import io.fedbase.data.Normalization;
import io.fedbase.node.runtime.NodeListener;
import io.fedbase.node.runtime.NodeRuntime;
import io.fedbase.node.transport.CoordinatorClient;
import io.fedbase.space.InputSignature;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node facing a coordinator that is down stops knocking once its circuit breaker opens. */
class CircuitBreakerTest {

  @TempDir Path dir;

  @Test
  void repeatedConnectionFailuresOpenTheBreakerAndPauseReconnects() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    CircuitBreaker breaker =
        CircuitBreaker.of(
            "test",
            CircuitBreakerConfig.custom()
                .slidingWindowSize(3)
                .minimumNumberOfCalls(3)
                .failureRateThreshold(100)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .build());
    AtomicInteger attempts = new AtomicInteger();
    // the node asked the open breaker for permission three times and was refused each time
    CountDownLatch refusedWhileOpen = new CountDownLatch(3);
    breaker.getEventPublisher().onCallNotPermitted(e -> refusedWhileOpen.countDown());
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", deadPort).usePlaintext().build();
    ImageDataset tiny =
        new ImageDataset("tiny", new InputSignature(1, 28, 28), new byte[2 * 784], new int[] {0, 1}, Normalization.FASHION_MNIST, List.of());
    try (NDManager manager = NDManager.newBaseManager()) {
      NodeRuntime node =
          NodeRuntime.builder()
              .setClient(new CoordinatorClient(channel), "127.0.0.1:" + deadPort)
              .setNodeId("lonely")
              .setData(tiny)
              .setCacheDir(dir)
              .setManager(manager)
              .optBackoff(IntervalFunction.of(Duration.ofMillis(20)))
              .optCircuitBreaker(breaker)
              .optListener(
                  new NodeListener() {
                    @Override
                    public void disconnected(String reason, long retryInMillis) {
                      attempts.incrementAndGet();
                    }
                  })
              .build();
      Thread t = new Thread(() -> {
        try {
          node.run();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      assertTrue(refusedWhileOpen.await(30, TimeUnit.SECONDS), "the node kept asking the open breaker instead of connecting");
      node.stop();
      t.join(5000);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertEquals(CircuitBreaker.State.OPEN, breaker.getState());
    // with a 20 ms backoff the node would have knocked again long before; the open breaker allowed no attempt after the 3rd
    assertEquals(3, attempts.get(), "connection attempts before the breaker opened");
    assertTrue(breaker.getMetrics().getNumberOfFailedCalls() == 3);
  }
}
