package io.fedbase.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line that starts another fedbase JVM configured like this one. */
public final class SelfCommand {

  private SelfCommand() {}

  /**
   * {@code java}, this JVM's options (its crash-report location and agents left out), then this
   * build's class path and main class, or {@code -jar JAR} for another build; crash reports go to
   * {@code crashReports}.
   */
  public static List<String> of(Path otherJar, Path crashReports) {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-XX:ErrorFile") && !arg.startsWith("-agentlib") && !arg.startsWith("-javaagent")) {
        command.add(arg);
      }
    }
    command.add("-XX:ErrorFile=" + crashReports.toAbsolutePath().resolve("hs_err_pid%p.log"));
    if (otherJar != null) {
      command.addAll(List.of("-jar", otherJar.toAbsolutePath().toString()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), FedbaseCli.class.getName()));
    }
    return command;
  }
}
