package io.fedbase.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EngineWorkTest {

  private static final StopRequest.Reason TERM = new StopRequest.Reason("SIGTERM", 143);

  @AfterEach
  void clear() {
    StopRequest.clearForTests();
  }

  @Test
  void afterAStopRequestNoStepStartsAndListenersHearItOnce() {
    AtomicInteger heard = new AtomicInteger();
    StopRequest.onRequest(heard::incrementAndGet);
    assertEquals(7, EngineWork.step(() -> 7));
    assertTrue(StopRequest.request(TERM));
    assertFalse(StopRequest.request(new StopRequest.Reason("SIGINT", 130)));
    assertEquals(1, heard.get());
    AtomicInteger ran = new AtomicInteger();
    StoppedException e = assertThrows(StoppedException.class, () -> EngineWork.step(ran::incrementAndGet));
    assertEquals(0, ran.get());
    assertEquals(143, e.reason().exitStatus());
    assertEquals("stopped by SIGTERM; kept x", e.keeping("x").getMessage());
    assertThrows(StoppedException.class, () -> EngineWork.run(ran::incrementAndGet));
  }

  @Test
  void awaitIdleWaitsForTheStepInFlight() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread trainer =
        new Thread(
            () ->
                EngineWork.step(
                    () -> {
                      inside.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      }
                      return null;
                    }));
    trainer.start();
    inside.await();
    StopRequest.request(TERM);
    assertFalse(EngineWork.awaitIdle(Duration.ofMillis(50)), "a step is still running");
    release.countDown();
    assertTrue(EngineWork.awaitIdle(Duration.ofSeconds(30)));
    trainer.join();
  }
}
