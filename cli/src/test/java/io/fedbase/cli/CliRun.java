package io.fedbase.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs a fedbase command line in this JVM, as a user would type it, capturing what it prints. */
record CliRun(int exit, String out, String err) {

  /** The last line printed on standard output (where commands print their JSON result). */
  String lastLine() {
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1];
  }

  /** Runs {@code args}; one at a time, since it replaces System.out and System.err while it runs. */
  static synchronized CliRun of(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    StringWriter cliErr = new StringWriter();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      CommandLine cmd = FedbaseCli.newCommandLine();
      cmd.setErr(new PrintWriter(cliErr, true));
      cmd.setOut(new PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));
      int exit = cmd.execute(args);
      return new CliRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8) + cliErr);
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
