package io.fedbase.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.proto.v1.BundleKind;
import io.fedbase.space.SupernetSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleFilesTest {

  @TempDir Path dir;

  private final SupernetSpec spec = SupernetSpec.profile("small");
  private final Bundle w = ParameterInitializer.initialize(spec, 3);

  @Test
  void roundTripsBitExactlyWithKindAndMetadata() throws IOException {
    float[] values = w.toArray();
    values[0] = Float.MIN_VALUE;
    values[1] = -0f;
    values[2] = Float.MAX_VALUE;
    Bundle special = Bundle.of(w.layout(), values);
    Path file = dir.resolve("prior.fbb");
    String sha = BundleFiles.write(file, StoredBundle.parameters(special, Map.of("version", "7")));
    StoredBundle back = BundleFiles.read(file, BundleLayout.of(spec));
    assertEquals(special, back.bundle());
    assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back.bundle().values().get(1)));
    assertEquals(BundleKind.BUNDLE_KIND_PARAMETERS, back.kind());
    assertEquals("7", back.metadata().get("version"));
    assertEquals(io.fedbase.space.Digests.sha256Hex(file), sha, "the hash of the whole file, as sha256sum prints it");
    // no temp files left next to it
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count());
    }
  }

  @Test
  void refusesEveryTruncation() throws IOException {
    Path file = dir.resolve("prior.fbb");
    BundleFiles.write(file, StoredBundle.parameters(w, Map.of()));
    byte[] bytes = Files.readAllBytes(file);
    for (int cut : new int[] {0, 5, 10, 100, bytes.length / 2, bytes.length - 33, bytes.length - 1}) {
      Path torn = dir.resolve("torn-" + cut + ".fbb");
      Files.write(torn, Arrays.copyOf(bytes, cut));
      BundleFormatException e = assertThrows(BundleFormatException.class, () -> BundleFiles.read(torn));
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not a fedbase bundle"), e.getMessage());
    }
  }

  @Test
  void refusesAFlippedBitAnywhere() throws IOException {
    Path file = dir.resolve("prior.fbb");
    BundleFiles.write(file, StoredBundle.parameters(w, Map.of()));
    byte[] bytes = Files.readAllBytes(file);
    for (int pos : new int[] {20, bytes.length / 2, bytes.length - 40, bytes.length - 1}) {
      byte[] bad = bytes.clone();
      bad[pos] ^= 0x10;
      Path corrupt = dir.resolve("bad-" + pos + ".fbb");
      Files.write(corrupt, bad);
      assertThrows(BundleFormatException.class, () -> BundleFiles.read(corrupt), "flip at " + pos);
    }
    byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
    Files.write(dir.resolve("long.fbb"), longer);
    BundleFormatException e = assertThrows(BundleFormatException.class, () -> BundleFiles.read(dir.resolve("long.fbb")));
    assertTrue(e.getMessage().contains("trailing"), e.getMessage());
  }

  @Test
  void refusesABundleOfAnotherSpec() throws IOException {
    Path file = dir.resolve("prior.fbb");
    BundleFiles.write(file, StoredBundle.parameters(w, Map.of()));
    SupernetSpec wider = spec.toBuilder().setChannels(12).build();
    BundleFormatException e =
        assertThrows(BundleFormatException.class, () -> BundleFiles.read(file, BundleLayout.of(wider)));
    assertTrue(e.getMessage().contains("expected spec"), e.getMessage());
  }

  @Test
  void refusesOtherFilesAndNamesAMissingOne() throws IOException {
    Path text = dir.resolve("notes.txt");
    Files.writeString(text, "hello, this is not a bundle at all");
    BundleFormatException e = assertThrows(BundleFormatException.class, () -> BundleFiles.read(text));
    assertTrue(e.getMessage().contains("not a fedbase bundle"), e.getMessage());
    NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> BundleFiles.read(dir.resolve("nope.fbb")));
    assertTrue(missing.getMessage().contains("nope.fbb"));
  }

  @Test
  void overwritingKeepsTheOldFileUntilTheNewOneIsComplete() throws IOException {
    Path file = dir.resolve("prior.fbb");
    BundleFiles.write(file, StoredBundle.parameters(w, Map.of("version", "1")));
    Bundle next = w.plusScaled(w, 0.5f);
    BundleFiles.write(file, StoredBundle.parameters(next, Map.of("version", "2")));
    StoredBundle back = BundleFiles.read(file, w.layout());
    assertEquals(next, back.bundle());
    assertEquals("2", back.metadata().get("version"));
  }

  /**
   * Audits compare files by SHA-256, so equal content must give equal bytes: the metadata is
   * written sorted by key, not in its map's order (which for an immutable map changes from one JVM
   * run to the next).
   */
  @Test
  void metadataIsWrittenSortedSoEqualContentGivesEqualBytes() throws IOException {
    Map<String, String> metadata = new java.util.HashMap<>();
    for (int i = 0; i < 30; i++) {
      metadata.put("key-" + (char) ('a' + (i * 7) % 26) + i, Integer.toString(i));
    }
    Path file = dir.resolve("meta.fbb");
    BundleFiles.write(file, StoredBundle.parameters(w, metadata));
    byte[] bytes = Files.readAllBytes(file);
    int headerLength = java.nio.ByteBuffer.wrap(bytes, BundleCodec.MAGIC.length, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
    io.fedbase.proto.v1.BundleHeader header =
        io.fedbase.proto.v1.BundleHeader.parseFrom(java.util.Arrays.copyOfRange(bytes, BundleCodec.MAGIC.length + 4, BundleCodec.MAGIC.length + 4 + headerLength));
    java.util.List<String> written = new java.util.ArrayList<>(header.getMetadataMap().keySet());
    java.util.List<String> sorted = new java.util.ArrayList<>(written);
    java.util.Collections.sort(sorted);
    assertEquals(sorted, written, "in the order they are on the wire");
    assertEquals(30, written.size());
  }
}
