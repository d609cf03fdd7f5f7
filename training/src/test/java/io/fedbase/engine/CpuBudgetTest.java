package io.fedbase.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuBudgetTest {

  @TempDir Path dir;

  private Path proc(String cpusAllowed, String cgroup) throws IOException {
    Path self = Files.createDirectories(dir.resolve("proc/self"));
    Files.writeString(self.resolve("status"), "Name:\tjava\nCpus_allowed:\tff\nCpus_allowed_list:\t" + cpusAllowed + "\nMems_allowed:\t1\n");
    Files.writeString(self.resolve("cgroup"), cgroup);
    return self;
  }

  @Test
  void countsTheAffinityListWhenNoQuotaIsSet() throws IOException {
    Path self = proc("0-3,8,10-11", "0::/user.slice\n");
    Files.createDirectories(dir.resolve("cg/user.slice"));
    Files.writeString(dir.resolve("cg/user.slice/cpu.max"), "max 100000\n");
    CpuBudget b = CpuBudget.read(self, dir.resolve("cg"), 64);
    assertEquals(7, b.cpus());
    assertEquals(7, b.affinity());
    assertFalse(b.quota().isPresent());
  }

  @Test
  void aCgroupV2QuotaCapsTheBudgetAndTheTightestAncestorWins() throws IOException {
    Path self = proc("0-15", "0::/kubepods/pod1/ctr\n");
    Path cg = dir.resolve("cg");
    Files.createDirectories(cg.resolve("kubepods/pod1/ctr"));
    Files.writeString(cg.resolve("kubepods/cpu.max"), "400000 100000\n");
    Files.writeString(cg.resolve("kubepods/pod1/cpu.max"), "150000 100000\n");
    Files.writeString(cg.resolve("kubepods/pod1/ctr/cpu.max"), "max 100000\n");
    CpuBudget b = CpuBudget.read(self, cg, 16);
    // 1.5 CPUs of quota cannot keep two threads running: rounds down
    assertEquals(1, b.cpus());
    assertEquals(16, b.affinity());
    assertEquals(1.5, b.quota().getAsDouble(), 1e-9);
  }

  @Test
  void aCgroupV1QuotaIsReadFromTheCpuController() throws IOException {
    Path self = proc("0-7", "4:memory:/x\n1:cpu:/bench\n0::/\n");
    Path cpu = Files.createDirectories(dir.resolve("cg/cpu/bench"));
    Files.writeString(cpu.resolve("cpu.cfs_quota_us"), "200000\n");
    Files.writeString(cpu.resolve("cpu.cfs_period_us"), "100000\n");
    Files.writeString(dir.resolve("cg/cpu/cpu.cfs_quota_us"), "-1\n");
    Files.writeString(dir.resolve("cg/cpu/cpu.cfs_period_us"), "100000\n");
    assertEquals(2, CpuBudget.read(self, dir.resolve("cg"), 8).cpus());
  }

  @Test
  void aQuotaBelowOneCpuStillGivesOne() throws IOException {
    Path self = proc("0-3", "0::/\n");
    Files.createDirectories(dir.resolve("cg"));
    Files.writeString(dir.resolve("cg/cpu.max"), "50000 100000\n");
    CpuBudget b = CpuBudget.read(self, dir.resolve("cg"), 4);
    assertEquals(1, b.cpus());
    assertEquals("1 CPU (affinity 4, CPU quota 0.50)", b.describe());
  }

  @Test
  void withoutProcItFallsBackToTheJvmCount() {
    CpuBudget b = CpuBudget.read(dir.resolve("nothing"), dir.resolve("none"), 3);
    assertEquals(3, b.cpus());
    assertFalse(b.quota().isPresent());
  }

  @Test
  void malformedCpuListsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> CpuBudget.countCpuList("3-1"));
    assertThrows(IllegalArgumentException.class, () -> CpuBudget.countCpuList(""));
    assertThrows(NumberFormatException.class, () -> CpuBudget.countCpuList("a-b"));
  }

  @Test
  void thisMachineHasABudget() {
    CpuBudget b = CpuBudget.detect();
    assertEquals(true, b.cpus() >= 1 && b.cpus() <= Math.max(b.affinity(), 1));
  }
}
