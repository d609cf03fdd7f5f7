package io.fedbase.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fedbase.space.InputSignature;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetFormatsTest {

  @TempDir Path dir;
  private final DatasetLoader loader = new DatasetLoader();

  /** Writes an IDX pair of {@code n} 3x2 images whose pixels encode (image, position). */
  private Path writeIdx(String name, int images, int labels, boolean gzip, int type) throws IOException {
    Path prefix = dir.resolve(name);
    ByteArrayOutputStream img = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(img);
    d.writeInt((type << 8) | 3);
    d.writeInt(images);
    d.writeInt(3);
    d.writeInt(2);
    for (int i = 0; i < images * 6; i++) {
      d.writeByte(i % 251);
    }
    ByteArrayOutputStream lab = new ByteArrayOutputStream();
    DataOutputStream l = new DataOutputStream(lab);
    l.writeInt((0x08 << 8) | 1);
    l.writeInt(labels);
    for (int i = 0; i < labels; i++) {
      l.writeByte(i % 3);
    }
    write(Path.of(prefix + "-images-idx3-ubyte" + (gzip ? ".gz" : "")), img.toByteArray(), gzip);
    write(Path.of(prefix + "-labels-idx1-ubyte" + (gzip ? ".gz" : "")), lab.toByteArray(), gzip);
    return prefix;
  }

  private static void write(Path file, byte[] bytes, boolean gzip) throws IOException {
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
      out.write(bytes);
    }
  }

  @Test
  void readsIdxPlainAndGzippedAlike() throws IOException {
    for (boolean gzip : new boolean[] {false, true}) {
      Path prefix = writeIdx(gzip ? "gz" : "plain", 7, 7, gzip, 0x08);
      ImageDataset ds = loader.load(DatasetSpec.parse("idx:" + prefix));
      assertEquals(7, ds.size());
      assertEquals(new InputSignature(1, 3, 2), ds.signature());
      assertEquals(List.of(0, 1, 2), ds.classes());
      assertEquals(2, ds.label(5));
      assertArrayEquals(new int[] {0, 3, 6}, ds.indicesOf(0));
    }
  }

  @Test
  void refusesTruncatedMismatchedAndForeignIdx() throws IOException {
    Path prefix = writeIdx("short", 5, 5, true, 0x08);
    Path images = Path.of(prefix + "-images-idx3-ubyte.gz");
    byte[] whole = new java.util.zip.GZIPInputStream(Files.newInputStream(images)).readAllBytes();
    write(images, Arrays.copyOf(whole, whole.length - 4), true);
    DataException truncated = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("idx:" + prefix)));
    assertTrue(truncated.getMessage().contains("truncated"), truncated.getMessage());

    byte[] gz = Files.readAllBytes(Path.of(writeIdx("cut", 5, 5, true, 0x08) + "-images-idx3-ubyte.gz"));
    Files.write(dir.resolve("cut-images-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
    DataException cut = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("idx:" + dir.resolve("cut"))));
    assertTrue(cut.getMessage().contains("cut-images"), cut.getMessage());

    Path mismatch = writeIdx("mismatch", 5, 4, false, 0x08);
    DataException m = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("idx:" + mismatch)));
    assertTrue(m.getMessage().contains("4 labels") && m.getMessage().contains("5 images"), m.getMessage());

    Path floats = writeIdx("floats", 2, 2, false, 0x0D);
    DataException t = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("idx:" + floats)));
    assertTrue(t.getMessage().contains("0xd"), t.getMessage());

    DataException missing = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("idx:" + dir.resolve("nothing"))));
    assertTrue(missing.getMessage().contains("nothing-images-idx3-ubyte"), missing.getMessage());
  }

  private void png(Path file, int w, int h, int type, int value) throws IOException {
    Files.createDirectories(file.getParent());
    BufferedImage img = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.getRaster().setSample(x, y, 0, value);
        if (img.getRaster().getNumBands() == 3) {
          img.getRaster().setSample(x, y, 1, 10);
          img.getRaster().setSample(x, y, 2, 20);
        }
      }
    }
    ImageIO.write(img, "png", file.toFile());
  }

  @Test
  void readsAFolderPerClassInNameOrder() throws IOException {
    Path root = dir.resolve("grey");
    png(root.resolve("cat/a.png"), 4, 3, BufferedImage.TYPE_BYTE_GRAY, 200);
    png(root.resolve("cat/b.png"), 4, 3, BufferedImage.TYPE_BYTE_GRAY, 100);
    png(root.resolve("ant/a.png"), 4, 3, BufferedImage.TYPE_BYTE_GRAY, 7);
    ImageDataset ds = loader.load(DatasetSpec.parse("folder:" + root));
    assertEquals(new InputSignature(1, 3, 4), ds.signature());
    assertEquals(List.of("ant", "cat"), ds.classNames());
    assertEquals(1, ds.countOf(0));
    assertEquals(2, ds.countOf(1));
    // normalised with its own statistics: the exact grey value must survive decoding
    float[] px = new float[12];
    ds.writeNormalized(0, px, 0);
    float expected = (7 / 255f - ds.normalization().mean()[0]) / ds.normalization().std()[0];
    assertEquals(expected, px[0], 1e-5f);
  }

  @Test
  void colourFoldersGiveThreeChannelPlanes() throws IOException {
    Path root = dir.resolve("colour");
    png(root.resolve("a/1.png"), 2, 2, BufferedImage.TYPE_INT_RGB, 0);
    png(root.resolve("b/1.png"), 2, 2, BufferedImage.TYPE_3BYTE_BGR, 255);
    ImageDataset ds = loader.load(DatasetSpec.parse("folder:" + root));
    assertEquals(new InputSignature(3, 2, 2), ds.signature());
  }

  @Test
  void refusesBadFolders() throws IOException {
    Path mixed = dir.resolve("mixed");
    png(mixed.resolve("a/1.png"), 4, 4, BufferedImage.TYPE_BYTE_GRAY, 1);
    png(mixed.resolve("a/2.png"), 5, 4, BufferedImage.TYPE_BYTE_GRAY, 1);
    DataException e = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + mixed)));
    assertTrue(e.getMessage().contains("5x4") && e.getMessage().contains("4x4"), e.getMessage());

    Path empty = dir.resolve("empty");
    Files.createDirectories(empty);
    assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + empty)));
    Path broken = dir.resolve("broken");
    Files.createDirectories(broken.resolve("a"));
    Files.writeString(broken.resolve("a/x.png"), "not an image");
    DataException b = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + broken)));
    assertTrue(b.getMessage().contains("x.png"), b.getMessage());
    assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + dir.resolve("absent"))));
  }

  @Test
  void refusesAClassFolderWithoutImagesInsteadOfDroppingTheClass() throws IOException {
    Path digits = dir.resolve("digits");
    png(digits.resolve("0/a.png"), 4, 4, BufferedImage.TYPE_BYTE_GRAY, 1);
    png(digits.resolve("2/a.png"), 4, 4, BufferedImage.TYPE_BYTE_GRAY, 1);
    Files.createDirectories(digits.resolve("1"));
    Files.writeString(digits.resolve("1/notes.txt"), "not an image");
    DataException e = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + digits)));
    assertTrue(e.getMessage().contains("class folder 1 has no PNG or JPEG images"), e.getMessage());
    Files.createDirectories(digits.resolve("3"));
    DataException two = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("folder:" + digits)));
    assertTrue(two.getMessage().contains("class folders 1, 3 have no PNG"), two.getMessage());
  }

  @Test
  void readsCifarBatchesAsChannelPlanes() throws IOException {
    Path cifar = dir.resolve("cifar");
    Files.createDirectories(cifar);
    byte[] batch = new byte[2 * 3073];
    for (int r = 0; r < 2; r++) {
      batch[r * 3073] = (byte) (r + 3);
      for (int i = 0; i < 3072; i++) {
        batch[r * 3073 + 1 + i] = (byte) (i / 1024 * 100); // R plane 0, G plane 100, B plane 200
      }
    }
    Files.write(cifar.resolve("data_batch_1.bin"), batch);
    Files.write(cifar.resolve("test_batch.bin"), Arrays.copyOf(batch, 3073));
    ImageDataset train = loader.load(DatasetSpec.parse("cifar:" + cifar));
    assertEquals(2, train.size());
    assertEquals(new InputSignature(3, 32, 32), train.signature());
    assertEquals(List.of(3, 4), train.classes());
    float[] px = new float[3072];
    train.writeNormalized(0, px, 0);
    assertEquals((0 - 0.4914f) / 0.2470f, px[0], 1e-4f);
    assertEquals((100 / 255f - 0.4822f) / 0.2435f, px[1024], 1e-4f);
    assertEquals((200 / 255f - 0.4465f) / 0.2616f, px[2048], 1e-4f);
    assertEquals(1, loader.load(DatasetSpec.parse("cifar:" + cifar + ":test")).size());

    Files.write(cifar.resolve("data_batch_2.bin"), Arrays.copyOf(batch, 3000));
    DataException e = assertThrows(DataException.class, () -> loader.load(DatasetSpec.parse("cifar:" + cifar)));
    assertTrue(e.getMessage().contains("data_batch_2.bin"), e.getMessage());
  }

  @Test
  void specParsingNamesTheAcceptedForms() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("mnist"));
    assertTrue(e.getMessage().contains("idx:PREFIX"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("s3:bucket"));
    assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse(""));
    DatasetSpec fm = DatasetSpec.parse("fashion-mnist:test", java.util.Map.of("FEDBASE_FASHION_MNIST_DIR", "/x"));
    assertEquals(Path.of("/x/t10k"), fm.path());
    DataException notInstalled =
        assertThrows(
            DataException.class,
            () -> loader.load(DatasetSpec.parse("fashion-mnist", java.util.Map.of("FEDBASE_FASHION_MNIST_DIR", dir.resolve("no").toString()))));
    assertTrue(notInstalled.getMessage().contains("apt-get install dataset-fashion-mnist"));
  }

  @Test
  void classSelectionParsesRangesAndLists() {
    assertEquals(List.of(0, 1, 2, 3, 4, 5), ClassSelection.parse("0-5").classes());
    assertEquals(List.of(6, 7, 9), ClassSelection.parse(" 6, 7 ,9").classes());
    assertEquals(List.of(0, 1, 2, 5, 8, 9), ClassSelection.parse("0-2,5,8-9").classes());
    assertEquals("0-2,5,8-9", ClassSelection.parse("8-9,5,0-2").toString());
    for (String bad : new String[] {"", "5-2", "a", "1,,2", "-3", "1-x"}) {
      assertThrows(IllegalArgumentException.class, () -> ClassSelection.parse(bad), bad);
    }
  }
}
