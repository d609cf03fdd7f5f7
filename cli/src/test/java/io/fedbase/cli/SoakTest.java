package io.fedbase.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A short `bench soak` as CI's share of it: no crash, no damaged file, workers killed and replaced. */
class SoakTest {

  @TempDir Path dir;

  private ProcessFixture processes;

  @BeforeEach
  void fixture() {
    processes = new ProcessFixture(dir);
  }

  @AfterEach
  void killAll() {
    processes.close();
  }

  @Test
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void aShortSoakEndsWithoutCrashesOrDamagedFiles() throws Exception {
    Path out = dir.resolve("soak");
    Process soak =
        processes.launch(
            "soak",
            "512m",
            List.of(
                "bench", "soak", "--minutes", "1.5", "--processes", "3", "--stop-after", "20", "--kill-worker-every", "25",
                "--calibration-rounds", "3", "--out", out.toString()));
    assertTrue(soak.waitFor(5, TimeUnit.MINUTES), "the soak ends by itself");
    String log = Files.readString(dir.resolve("soak.log"));
    assertEquals(0, soak.exitValue(), log);
    JsonObject r = JsonParser.parseString(Files.readString(out.resolve("results.json"))).getAsJsonObject();
    assertEquals(0, r.get("crashes").getAsInt(), log);
    assertEquals(0, r.get("crash_reports").getAsInt(), log);
    assertEquals(0, r.get("damaged_files").getAsInt(), log);
    assertTrue(r.get("processes_run").getAsInt() >= 5, "processes were stopped and started again: " + r.get("processes_run"));
    assertTrue(r.get("stopped_by_sigterm").getAsInt() >= 3, "by SIGTERM: " + r.get("stopped_by_sigterm"));
    assertTrue(r.get("workers_killed").getAsInt() >= 1, "a worker was killed: " + r.get("workers_killed"));
    assertTrue(r.get("max_stop_seconds").getAsDouble() < 30, "every stop was prompt: " + r.get("max_stop_seconds"));
    assertEquals(143, r.get("coordinator_exit").getAsInt(), "the coordinator ended on the soak's SIGTERM, not before");
  }
}
