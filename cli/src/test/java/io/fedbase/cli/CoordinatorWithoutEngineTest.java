package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coordinator runs from a class path without DJL, libtorch, the training module or the node:
 * the coordinator image holds only what this test keeps.
 */
class CoordinatorWithoutEngineTest {

  @TempDir Path dir;

  /** This test's class path without the engine, the training code and the node. */
  static String coordinatorClassPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(entry -> !isEngineSide(entry))
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static boolean isEngineSide(String entry) {
    String e = entry.replace('\\', '/');
    // the same artifacts cli/pom.xml leaves out of coordinator-lib
    return e.contains("/ai/djl/") || e.contains("pytorch") || e.contains("/net/java/dev/jna/") || e.contains("fedbase-training")
        || e.contains("/training/target/") || e.contains("fedbase-client-node") || e.contains("/client-node/target/")
        || e.contains("resilience4j") || e.contains("jfreechart") || e.contains("progressbar") || e.contains("/org/jline/");
  }

  @Test
  void aCoordinatorServesRoundsFromAClassPathWithoutTheEngine() throws Exception {
    String classPath = coordinatorClassPath();
    assertFalse(classPath.contains("djl") || classPath.contains("pytorch"), classPath);
    assertTrue(System.getProperty("java.class.path").contains("pytorch"), "the full class path has the engine, so the filter removed something");
    int port = ProcessFixture.freePort();
    Path state = dir.resolve("state");
    try (ProcessFixture processes = new ProcessFixture(dir)) {
      Process coordinator =
          processes.launchMain(
              dir,
              "coordinator",
              "256m",
              classPath,
              CoordinatorMain.class.getName(),
              List.of("coordinator", "--insecure", "--port", Integer.toString(port), "--metrics-port", "-1", "--state-dir", state.toString()));
      assertEquals(0, processes.awaitVersion(port, 0, Duration.ofMinutes(1)), "it serves its status at prior version 0");
      assertTrue(coordinator.isAlive(), Files.readString(dir.resolve("coordinator.log")));
      assertTrue(Files.exists(state.resolve("prior-v00000000.fbb")), "it created the federation's first prior without the engine");
      coordinator.destroy();
      coordinator.waitFor();
      String log = Files.readString(dir.resolve("coordinator.log"));
      assertFalse(log.contains("NoClassDefFoundError") || log.contains("ClassNotFoundException"), log);
    }
  }
}
