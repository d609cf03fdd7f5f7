package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Reads {@code DIR/<class>/<image>.png|jpg}: class ids are the sub-folders' positions in sorted
 * name order. Grey images give one channel; if any image has colour, all are read as RGB.
 */
final class FolderReader {

  private FolderReader() {}

  static RawImages read(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new DataException("folder dataset " + dir + " does not exist or is not a directory");
    }
    List<Path> classDirs;
    try (Stream<Path> s = Files.list(dir)) {
      classDirs = s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      throw new DataException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    if (classDirs.isEmpty()) {
      throw new DataException("folder dataset " + dir + " has no class sub-folders (expected DIR/<class>/<image>.png)");
    }
    List<BufferedImage> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> names = new ArrayList<>();
    boolean colour = false;
    Path first = null;
    List<List<Path>> filesByClass = classDirs.stream().map(FolderReader::imageFiles).toList();
    requireImagesInEveryClass(dir, classDirs, filesByClass);
    for (int c = 0; c < classDirs.size(); c++) {
      names.add(classDirs.get(c).getFileName().toString());
      for (Path file : filesByClass.get(c)) {
        BufferedImage img;
        try {
          img = ImageIO.read(file.toFile());
        } catch (IOException e) {
          throw new DataException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
          throw new DataException("cannot read image " + file + ": not a PNG or JPEG image");
        }
        if (first == null) {
          first = file;
        } else if (img.getWidth() != images.get(0).getWidth() || img.getHeight() != images.get(0).getHeight()) {
          throw new DataException(
              "image " + file + " is " + img.getWidth() + "x" + img.getHeight() + " but " + first + " is "
                  + images.get(0).getWidth() + "x" + images.get(0).getHeight() + "; all images must have one size");
        }
        colour |= img.getColorModel().getNumColorComponents() > 1;
        images.add(img);
        labels.add(c);
      }
    }
    int w = images.get(0).getWidth();
    int h = images.get(0).getHeight();
    InputSignature sig = new InputSignature(colour ? 3 : 1, h, w);
    byte[] pixels = new byte[images.size() * sig.size()];
    int plane = w * h;
    for (int i = 0; i < images.size(); i++) {
      BufferedImage img = images.get(i);
      int base = i * sig.size();
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int rgb = img.getRGB(x, y);
          int r = (rgb >> 16) & 0xFF;
          int g = (rgb >> 8) & 0xFF;
          int b = rgb & 0xFF;
          if (colour) {
            pixels[base + y * w + x] = (byte) r;
            pixels[base + plane + y * w + x] = (byte) g;
            pixels[base + 2 * plane + y * w + x] = (byte) b;
          } else {
            pixels[base + y * w + x] = (byte) greyOf(img, x, y, r);
          }
        }
      }
    }
    return new RawImages(sig, pixels, labels.stream().mapToInt(Integer::intValue).toArray(), names);
  }

  /**
   * Every sub-folder is a class, so an empty one would silently make a classifier with one class
   * fewer than the user has: refuse it, naming every such folder.
   */
  private static void requireImagesInEveryClass(Path dir, List<Path> classDirs, List<List<Path>> filesByClass) {
    List<String> empty = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      if (filesByClass.get(c).isEmpty()) {
        empty.add(classDirs.get(c).getFileName().toString());
      }
    }
    if (empty.size() == classDirs.size()) {
      throw new DataException("folder dataset " + dir + " has class folders but no PNG or JPEG images");
    }
    if (!empty.isEmpty()) {
      throw new DataException(
          "folder dataset " + dir + ": class folder" + (empty.size() == 1 ? " " : "s ") + String.join(", ", empty)
              + (empty.size() == 1 ? " has" : " have") + " no PNG or JPEG images; every sub-folder is a class, so add images or move "
              + (empty.size() == 1 ? "it" : "them") + " out of " + dir);
    }
  }

  /** The stored grey value; getRGB would apply a colour-space conversion to grey images. */
  private static int greyOf(BufferedImage img, int x, int y, int fallback) {
    if (img.getRaster().getNumBands() == 1) {
      int sample = img.getRaster().getSample(x, y, 0);
      int bits = img.getColorModel().getComponentSize(0);
      return bits == 8 ? sample : (int) Math.round(sample * 255.0 / ((1 << bits) - 1));
    }
    return fallback;
  }

  private static List<Path> imageFiles(Path classDir) {
    try (Stream<Path> s = Files.list(classDir)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> {
            String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
            return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
          })
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new DataException("cannot list " + classDir + ": " + e.getMessage(), e);
    }
  }
}
