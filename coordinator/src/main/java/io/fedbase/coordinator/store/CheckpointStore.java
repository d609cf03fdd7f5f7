package io.fedbase.coordinator.store;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import io.fedbase.bundle.AtomicFiles;
import io.fedbase.bundle.BundleFiles;
import io.fedbase.bundle.BundleLayout;
import io.fedbase.bundle.StoredBundle;
import io.fedbase.coordinator.privacy.PrivacyReport;
import io.fedbase.space.Digests;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's state directory (docs/ARCHITECTURE.md, "State on disk"): every committed prior as {@code
 * prior-vNNNNNNNN.fbb} (checksummed bundle) plus {@code state.json} naming the newest one and the
 * round counter. Each file is replaced atomically, the prior before the state that names it, so a
 * crash at any point leaves a loadable directory; a torn or corrupt prior is skipped, never loaded.
 */
public final class CheckpointStore {

  private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
  private static final Pattern PRIOR_FILE = Pattern.compile("prior-v(\\d{8})\\.fbb");
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
  static final String STATE_FILE = "state.json";

  private final Path dir;
  private final BundleLayout layout;

  public CheckpointStore(Path dir, BundleLayout layout) {
    this.dir = dir;
    this.layout = layout;
  }

  public Path directory() {
    return dir;
  }

  /** Where version {@code version}'s bundle lives (whether or not it exists). */
  public Path priorFile(long version) {
    return dir.resolve(String.format("prior-v%08d.fbb", version));
  }

  /** Where version {@code version}'s manifest lives (versions after 0 have one). */
  public Path manifestFile(long version) {
    return dir.resolve(String.format("manifest-v%08d.json", version));
  }

  /** Writes the first prior of a new federation (no manifest: nothing was merged). */
  public void commit(Checkpoint checkpoint, SupernetSpec spec, Map<String, String> metadata) throws IOException {
    commit(checkpoint, spec, metadata, null);
  }

  /**
   * Writes {@code checkpoint} durably: its prior first, then its manifest (completed from {@code
   * draft} with the base and result hashes), then the state that names it. A crash before the state
   * is written leaves the previous version current; its files are rewritten by the next commit.
   */
  public void commit(Checkpoint checkpoint, SupernetSpec spec, Map<String, String> metadata, CommitManifest.Draft draft) throws IOException {
    Files.createDirectories(dir);
    String baseSha = draft == null ? "" : fileSha(draft.baseVersion());
    Map<String, String> meta = new java.util.TreeMap<>(metadata);
    meta.put("version", Long.toString(checkpoint.version()));
    meta.put("round", Long.toString(checkpoint.lastRound()));
    String sha = BundleFiles.write(priorFile(checkpoint.version()), StoredBundle.parameters(checkpoint.prior(), spec, meta));
    if (draft != null) {
      CommitManifest manifest =
          new CommitManifest(
              checkpoint.version(), draft.round(), draft.baseVersion(), baseSha, sha, draft.aggregation(), draft.metaOptimizer(), draft.scheduleIndex(),
              draft.scheduleRounds(), draft.uploads(), draft.privacy(), java.time.Instant.now().toString(), null, null);
      AtomicFiles.writeString(manifestFile(checkpoint.version()), GSON.toJson(manifest) + "\n");
    }
    writeState(checkpoint.version(), checkpoint.lastRound(), sha);
  }

  /**
   * Makes version {@code restored}'s parameters current again as version {@code version} (newer
   * than {@code current}), durably and in the same order as a commit: the prior, a manifest that
   * records the rollback (and carries the privacy spent so far, which a rollback does not undo),
   * then the state. Returns the new checkpoint and its file's SHA-256.
   *
   * @throws IOException if {@code restored}'s file is missing or damaged; nothing is written then
   */
  public Rollback rollback(long current, long version, long lastRound, long restored, SupernetSpec spec, String reason) throws IOException {
    StoredBundle old = BundleFiles.read(priorFile(restored), layout);
    Map<String, String> meta = new java.util.TreeMap<>(old.metadata());
    meta.put("version", Long.toString(version));
    meta.put("round", Long.toString(lastRound));
    meta.put("rolled_back_to", Long.toString(restored));
    String baseSha = fileSha(current);
    PrivacyReport spent = readManifest(current).map(CommitManifest::privacy).orElse(null);
    String sha = BundleFiles.write(priorFile(version), StoredBundle.parameters(old.bundle(), spec, meta));
    CommitManifest manifest =
        new CommitManifest(
            version, lastRound, current, baseSha, sha, CommitManifest.ROLLBACK, "", 0, 0, List.of(), spent, java.time.Instant.now().toString(), restored, reason);
    AtomicFiles.writeString(manifestFile(version), GSON.toJson(manifest) + "\n");
    writeState(version, lastRound, sha);
    return new Rollback(new Checkpoint(version, lastRound, old.bundle()), sha);
  }

  /** A rollback's new checkpoint and the SHA-256 of its file. */
  public record Rollback(Checkpoint checkpoint, String sha256) {}

  /**
   * The whole-file SHA-256 of a committed version (what an auditor's {@code sha256sum} prints):
   * from its manifest, written when it was committed, else (version 0) by hashing the file.
   */
  private String fileSha(long version) throws IOException {
    Optional<CommitManifest> manifest = readManifest(version);
    if (manifest.isPresent()) {
      return manifest.get().resultSha256();
    }
    return Files.exists(priorFile(version)) ? Digests.sha256Hex(priorFile(version)) : "";
  }

  private static final String OPERATOR_FILE = "operator.json";

  /** Persists the operator's controls (pause, removed nodes). */
  public void writeControls(OperatorControls controls) throws IOException {
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve(OPERATOR_FILE), GSON.toJson(controls) + "\n");
  }

  /** The operator's controls as last written; none for a fresh directory. */
  public OperatorControls readControls() throws IOException {
    Path file = dir.resolve(OPERATOR_FILE);
    if (!Files.exists(file)) {
      return OperatorControls.none();
    }
    try {
      var controls = GSON.fromJson(Files.readString(file), OperatorControls.class);
      if (controls == null || controls.removedNodes() == null) {
        throw new JsonParseException("empty");
      }
      return controls;
    } catch (JsonParseException | NullPointerException e) {
      throw new IOException(file + " is damaged (" + e.getMessage() + "); fix or delete it to clear the operator's pause and removals", e);
    }
  }

  /** The manifest of a committed version, if it has one. */
  public Optional<CommitManifest> readManifest(long version) throws IOException {
    Path file = manifestFile(version);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(GSON.fromJson(Files.readString(file), CommitManifest.class));
    } catch (JsonParseException e) {
      throw new IOException(file + " is damaged: " + e.getMessage(), e);
    }
  }

  /** Records that round {@code lastRound} closed without changing the prior (a failed round). */
  public void recordFailedRound(long version, long lastRound) throws IOException {
    String sha = readState().map(s -> s.has("prior_sha256") ? s.get("prior_sha256").getAsString() : "").orElse("");
    writeState(version, lastRound, sha);
  }

  private void writeState(long version, long lastRound, String sha) throws IOException {
    JsonObject state = new JsonObject();
    state.addProperty("format", 1);
    state.addProperty("spec_hash", layout.specHash());
    state.addProperty("prior_version", version);
    state.addProperty("last_round", lastRound);
    state.addProperty("prior_file", priorFile(version).getFileName().toString());
    state.addProperty("prior_sha256", sha);
    AtomicFiles.writeString(dir.resolve(STATE_FILE), GSON.toJson(state) + "\n");
  }

  /**
   * The newest valid checkpoint: the one {@code state.json} names if it loads, else the newest
   * prior file that does (its round taken from its metadata). Empty for a fresh directory.
   *
   * @throws IOException if the directory belongs to another model spec or holds only damaged priors
   */
  public Optional<Checkpoint> loadNewest() throws IOException {
    if (!Files.isDirectory(dir)) {
      return Optional.empty();
    }
    removeInterruptedWrites();
    Optional<JsonObject> state = readState();
    if (state.isPresent()) {
      JsonObject s = state.get();
      String specHash = s.has("spec_hash") ? s.get("spec_hash").getAsString() : "";
      if (!specHash.equals(layout.specHash())) {
        throw new IOException(
            "state directory " + dir + " holds a federation of another model (spec " + BundleLayout.shortHash(specHash)
                + ", expected " + BundleLayout.shortHash(layout.specHash()) + "); use another state directory");
      }
      long version = s.get("prior_version").getAsLong();
      long lastRound = s.get("last_round").getAsLong();
      Optional<StoredBundle> prior = tryRead(priorFile(version));
      if (prior.isPresent()) {
        return Optional.of(new Checkpoint(version, lastRound, prior.get().bundle()));
      }
      LOG.warn("state.json names prior version {}, which does not load; falling back to the newest valid prior", version);
    }
    List<Long> versions = versionsNewestFirst();
    for (long version : versions) {
      Optional<StoredBundle> prior = tryRead(priorFile(version));
      if (prior.isPresent()) {
        long lastRound = Long.parseLong(prior.get().metadata().getOrDefault("round", "0"));
        return Optional.of(new Checkpoint(version, lastRound, prior.get().bundle()));
      }
    }
    if (!versions.isEmpty()) {
      // never start a fresh federation over priors that are damaged or belong to another model
      throw new IOException(
          "state directory " + dir + " has prior files, but none is a valid prior of this model (spec "
              + BundleLayout.shortHash(layout.specHash()) + "); use another state directory or remove the damaged files");
    }
    return Optional.empty();
  }

  /**
   * Deletes the temporary files of writes a crash interrupted ({@code .NAME.*.tmp}, see {@code
   * AtomicFiles}); the files they were meant to replace are intact.
   */
  private void removeInterruptedWrites() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith(".") && f.getFileName().toString().endsWith(".tmp")).toList()) {
        LOG.info("removing {} left by an interrupted write", f.getFileName());
        Files.deleteIfExists(f);
      }
    }
  }

  /** Versions with a prior file on disk, newest first (files are not verified here). */
  public List<Long> versionsNewestFirst() throws IOException {
    List<Long> versions = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(
          f -> {
            Matcher m = PRIOR_FILE.matcher(f.getFileName().toString());
            if (m.matches()) {
              versions.add(Long.parseLong(m.group(1)));
            }
          });
    }
    versions.sort(Comparator.reverseOrder());
    return versions;
  }

  private Optional<JsonObject> readState() {
    Path file = dir.resolve(STATE_FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonObject s = GSON.fromJson(Files.readString(file), JsonObject.class);
      if (s == null || !s.has("prior_version") || !s.has("last_round")) {
        throw new JsonParseException("missing fields");
      }
      return Optional.of(s);
    } catch (IOException | RuntimeException e) {
      LOG.warn("ignoring unreadable {}: {}", file, e.getMessage());
      return Optional.empty();
    }
  }

  private Optional<StoredBundle> tryRead(Path file) {
    try {
      return Optional.of(BundleFiles.read(file, layout));
    } catch (IOException e) {
      LOG.warn("skipping {}: {}", file.getFileName(), e.getMessage());
      return Optional.empty();
    }
  }
}
