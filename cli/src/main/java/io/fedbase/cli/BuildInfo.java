package io.fedbase.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Which fedbase this is: the project version from the jar and the commit the build came from. */
public record BuildInfo(String version, String commit, boolean uncommittedChanges) {

  private static final String UNKNOWN = "unknown";

  /** This build's information; "development build" and "unknown" where a build did not record them. */
  public static BuildInfo current() {
    String version = FedbaseCli.class.getPackage().getImplementationVersion();
    Properties git = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("git.properties")) {
      if (in != null) {
        git.load(in);
      }
    } catch (IOException e) {
      // a build without git (a source archive) records no commit
    }
    return new BuildInfo(
        version == null ? "development build" : version,
        git.getProperty("git.commit.id.abbrev", UNKNOWN),
        Boolean.parseBoolean(git.getProperty("git.dirty", "false")));
  }

  /** E.g. "fedbase 0.1.0-SNAPSHOT (commit 7f8fecc, with uncommitted changes)". */
  public String describe() {
    String from = commit.equals(UNKNOWN) ? "commit unknown" : "commit " + commit + (uncommittedChanges ? ", with uncommitted changes" : "");
    return "fedbase " + version + " (" + from + ")";
  }
}
