package io.fedbase.data;

import io.fedbase.space.InputSignature;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Reads an IDX image/label pair (LeCun's MNIST format), gzipped or not, unsigned bytes only. */
final class IdxReader {

  private static final int UNSIGNED_BYTE = 0x08;

  private IdxReader() {}

  static RawImages read(Path prefix) {
    Path images = existing(prefix, "-images-idx3-ubyte");
    Path labels = existing(prefix, "-labels-idx1-ubyte");
    try (DataInputStream in = open(images)) {
      int[] dims = header(in, images, 3);
      int count = dims[0];
      InputSignature sig = new InputSignature(1, dims[1], dims[2]);
      byte[] pixels = new byte[Math.multiplyExact(count, sig.size())];
      readFully(in, pixels, images, count + " images of " + dims[1] + "x" + dims[2]);
      int[] y = readLabels(labels);
      if (y.length != count) {
        throw new DataException(
            "label/image count mismatch: " + labels + " has " + y.length + " labels, " + images + " has " + count + " images");
      }
      return new RawImages(sig, pixels, y, List.of());
    } catch (IOException e) {
      throw new DataException("cannot read " + images + ": " + e.getMessage(), e);
    }
  }

  private static int[] readLabels(Path file) {
    try (DataInputStream in = open(file)) {
      int count = header(in, file, 1)[0];
      byte[] raw = new byte[count];
      readFully(in, raw, file, count + " labels");
      int[] y = new int[count];
      for (int i = 0; i < count; i++) {
        y[i] = raw[i] & 0xFF;
      }
      return y;
    } catch (IOException e) {
      throw new DataException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static Path existing(Path prefix, String suffix) {
    Path plain = Path.of(prefix + suffix);
    Path gz = Path.of(prefix + suffix + ".gz");
    if (Files.isRegularFile(gz)) {
      return gz;
    }
    if (Files.isRegularFile(plain)) {
      return plain;
    }
    throw new DataException("missing IDX file: neither " + plain + " nor " + gz + " exists");
  }

  private static DataInputStream open(Path file) throws IOException {
    InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    raw.mark(2);
    int b0 = raw.read();
    int b1 = raw.read();
    raw.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      try {
        raw = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
      } catch (ZipException e) {
        throw new DataException(file + " is not a valid gzip file: " + e.getMessage(), e);
      }
    }
    return new DataInputStream(raw);
  }

  /** Reads magic and dimension sizes; returns the sizes. */
  private static int[] header(DataInputStream in, Path file, int expectedDims) throws IOException {
    int magic;
    try {
      magic = in.readInt();
    } catch (EOFException e) {
      throw new DataException(file + " is truncated: it ends inside the IDX header");
    }
    if ((magic >>> 16) != 0) {
      throw new DataException(file + " is not an IDX file (bad magic " + Integer.toHexString(magic) + ")");
    }
    int type = (magic >>> 8) & 0xFF;
    int dims = magic & 0xFF;
    if (type != UNSIGNED_BYTE) {
      throw new DataException(file + " holds IDX type 0x" + Integer.toHexString(type) + "; only unsigned bytes (0x08) are supported");
    }
    if (dims != expectedDims) {
      throw new DataException(file + " has " + dims + " dimensions; expected " + expectedDims);
    }
    int[] sizes = new int[dims];
    for (int i = 0; i < dims; i++) {
      try {
        sizes[i] = in.readInt();
      } catch (EOFException e) {
        throw new DataException(file + " is truncated: it ends inside the IDX header");
      }
      if (sizes[i] <= 0) {
        throw new DataException(file + " has a non-positive dimension " + sizes[i]);
      }
    }
    return sizes;
  }

  private static void readFully(InputStream in, byte[] buf, Path file, String promised) throws IOException {
    int done = 0;
    try {
      while (done < buf.length) {
        int n = in.read(buf, done, buf.length - done);
        if (n < 0) {
          break;
        }
        done += n;
      }
    } catch (EOFException | ZipException e) {
      throw new DataException(file + " is corrupt or truncated after " + done + " bytes: " + e.getMessage(), e);
    }
    if (done < buf.length) {
      throw new DataException(
          file + " is truncated: its header promises " + promised + " (" + buf.length + " bytes) but the data ends after " + done + " bytes");
    }
  }
}
