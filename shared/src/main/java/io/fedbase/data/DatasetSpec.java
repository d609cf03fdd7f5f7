package io.fedbase.data;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed {@code --data} value: which format and where.
 *
 * <ul>
 *   <li>{@code idx:PREFIX} — {@code PREFIX-images-idx3-ubyte[.gz]} and {@code PREFIX-labels-idx1-ubyte[.gz]}
 *   <li>{@code folder:DIR} — one sub-folder of PNG/JPEG images per class
 *   <li>{@code cifar:DIR} (train batches), {@code cifar:DIR:test} or {@code cifar:FILE.bin}
 *   <li>{@code fashion-mnist} / {@code fashion-mnist:test} — the Debian package {@code
 *       dataset-fashion-mnist}; its directory can be moved with {@code FEDBASE_FASHION_MNIST_DIR}
 * </ul>
 */
public record DatasetSpec(Format format, Path path, boolean testSplit, String text) {

  /** The formats fedbase reads. */
  public enum Format {
    IDX,
    FOLDER,
    CIFAR
  }

  static final String FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
  static final String ACCEPTED =
      "use idx:PREFIX, folder:DIR, cifar:DIR, cifar:DIR:test, fashion-mnist or fashion-mnist:test";

  /** Parses with the process environment. */
  public static DatasetSpec parse(String text) {
    return parse(text, System.getenv());
  }

  /** Parses with an explicit environment (for {@code FEDBASE_FASHION_MNIST_DIR}). */
  public static DatasetSpec parse(String text, Map<String, String> env) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("the dataset spec is empty; " + ACCEPTED);
    }
    String t = text.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("fashion-mnist") || lower.equals("fashion-mnist:train") || lower.equals("fashion-mnist:test")) {
      boolean test = lower.endsWith(":test");
      Path dir = Path.of(env.getOrDefault("FEDBASE_FASHION_MNIST_DIR", FASHION_MNIST_DIR));
      return new DatasetSpec(Format.IDX, dir.resolve(test ? "t10k" : "train"), test, t);
    }
    int colon = t.indexOf(':');
    if (colon <= 0 || colon == t.length() - 1) {
      throw new IllegalArgumentException("'" + t + "' is not a dataset spec; " + ACCEPTED);
    }
    String scheme = lower.substring(0, colon);
    String rest = t.substring(colon + 1);
    switch (scheme) {
      case "idx":
        return new DatasetSpec(Format.IDX, Path.of(rest), false, t);
      case "folder":
        return new DatasetSpec(Format.FOLDER, Path.of(rest), false, t);
      case "cifar":
        boolean test = rest.toLowerCase(Locale.ROOT).endsWith(":test");
        String p = test ? rest.substring(0, rest.length() - ":test".length()) : rest;
        return new DatasetSpec(Format.CIFAR, Path.of(p), test, t);
      default:
        throw new IllegalArgumentException("dataset spec '" + t + "' has an unknown scheme '" + scheme + "'; " + ACCEPTED);
    }
  }

  /** True for the Debian Fashion-MNIST shorthand. */
  public boolean isFashionMnist() {
    return text.toLowerCase(Locale.ROOT).startsWith("fashion-mnist");
  }
}
