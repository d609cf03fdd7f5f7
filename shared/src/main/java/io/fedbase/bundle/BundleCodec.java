package io.fedbase.bundle;

import com.google.protobuf.InvalidProtocolBufferException;
import io.fedbase.proto.v1.BundleHeader;
import io.fedbase.proto.v1.BundleKind;
import io.fedbase.proto.v1.DType;
import io.fedbase.space.Digests;
import io.fedbase.space.TensorSpec;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.TreeMap;
import java.util.List;

/**
 * The bundle container: magic, header length, a {@code BundleHeader} protobuf, the float32
 * little-endian payload, and a SHA-256 of everything before it. The hash is checked before a
 * bundle is handed out, so a torn or altered file is never used.
 */
public final class BundleCodec {

  static final byte[] MAGIC = "FBBUNDLE".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 1;
  static final int DIGEST_BYTES = 32;
  private static final int MAX_HEADER_BYTES = 64 << 20;
  private static final int CHUNK_FLOATS = 1 << 16;

  private BundleCodec() {}

  /** Writes {@code stored} to {@code out}; returns the SHA-256 (hex) written as trailer. */
  public static String write(StoredBundle stored, OutputStream out) throws IOException {
    Bundle bundle = stored.bundle();
    BundleLayout layout = bundle.layout();
    BundleHeader.Builder header =
        BundleHeader.newBuilder()
            .setFormatVersion(FORMAT_VERSION)
            .setSpecHash(layout.specHash())
            .setDtype(DType.DTYPE_FLOAT32)
            .setKind(stored.kind())
            .setPayloadBytes(4L * layout.totalSize())
            // sorted, so equal content gives equal bytes: an immutable map's order changes from one JVM run to the next
            .putAllMetadata(new TreeMap<>(stored.metadata()));
    for (TensorSpec t : layout.tensors()) {
      io.fedbase.proto.v1.TensorSpec.Builder tb =
          io.fedbase.proto.v1.TensorSpec.newBuilder().setName(t.name()).setLogits(t.logits());
      for (int d : t.shape()) {
        tb.addShape(d);
      }
      header.addTensors(tb);
    }
    byte[] headerBytes = header.build().toByteArray();
    MessageDigest sha = Digests.sha256();
    DigestOutputStream digestOut = new DigestOutputStream(out, sha);
    digestOut.write(MAGIC);
    digestOut.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(headerBytes.length).array());
    digestOut.write(headerBytes);
    float[] values = bundle.raw();
    ByteBuffer buf = ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start < values.length; start += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, values.length - start);
      buf.clear();
      buf.asFloatBuffer().put(values, start, n);
      digestOut.write(buf.array(), 0, 4 * n);
    }
    digestOut.flush();
    byte[] digest = sha.digest();
    out.write(digest);
    out.flush();
    return HexFormat.of().formatHex(digest);
  }

  /**
   * Reads a bundle from {@code in}, which must end right after the trailer. {@code expected}, if
   * not null, is the layout the caller needs; a bundle of another spec is refused.
   */
  public static StoredBundle read(InputStream in, BundleLayout expected, String source) throws IOException {
    MessageDigest sha = Digests.sha256();
    DataInputStream data = new DataInputStream(new DigestInputStream(in, sha));
    byte[] magic = new byte[MAGIC.length];
    readFully(data, magic, source, "the magic bytes");
    if (!Arrays.equals(magic, MAGIC)) {
      throw new BundleFormatException(source + " is not a fedbase bundle (bad magic bytes)");
    }
    byte[] lengthBytes = new byte[4];
    readFully(data, lengthBytes, source, "the header length");
    int headerLength = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES) {
      throw new BundleFormatException(source + " has an implausible header length " + headerLength);
    }
    byte[] headerBytes = new byte[headerLength];
    readFully(data, headerBytes, source, "the header");
    BundleHeader header;
    try {
      header = BundleHeader.parseFrom(headerBytes);
    } catch (InvalidProtocolBufferException e) {
      throw new BundleFormatException(source + " has a corrupt header: " + e.getMessage(), e);
    }
    BundleLayout layout = layoutOf(header, source);
    if (expected != null) {
      checkMatches(layout, expected, source);
      layout = expected;
    }
    int total = layout.totalSize();
    // grown as bytes arrive, so a forged header cannot make a small file allocate gigabytes
    float[] values = new float[Math.min(total, CHUNK_FLOATS)];
    byte[] chunk = new byte[4 * CHUNK_FLOATS];
    for (int start = 0; start < total; start += CHUNK_FLOATS) {
      int n = Math.min(CHUNK_FLOATS, total - start);
      readFully(data, chunk, 4 * n, source, "the payload");
      if (start + n > values.length) {
        values = Arrays.copyOf(values, (int) Math.min(total, Math.max(start + n, 2L * values.length)));
      }
      ByteBuffer.wrap(chunk, 0, 4 * n).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values, start, n);
    }
    byte[] computed = sha.digest();
    byte[] stored = new byte[DIGEST_BYTES];
    readFully(in, stored, DIGEST_BYTES, source, "the SHA-256 trailer");
    if (!MessageDigest.isEqual(computed, stored)) {
      throw new BundleFormatException(source + " is corrupt: SHA-256 mismatch");
    }
    if (in.read() != -1) {
      throw new BundleFormatException(source + " has trailing bytes after the SHA-256 trailer");
    }
    return new StoredBundle(Bundle.wrap(layout, values), header.getKind(), header.getMetadataMap());
  }

  private static BundleLayout layoutOf(BundleHeader header, String source) throws BundleFormatException {
    if (header.getFormatVersion() != FORMAT_VERSION) {
      throw new BundleFormatException(
          source + " has bundle format version " + header.getFormatVersion() + "; this build reads version " + FORMAT_VERSION);
    }
    if (header.getDtype() != DType.DTYPE_FLOAT32) {
      throw new BundleFormatException(source + " has unsupported dtype " + header.getDtype());
    }
    if (header.getKind() == BundleKind.BUNDLE_KIND_UNSPECIFIED || header.getKind() == BundleKind.UNRECOGNIZED) {
      throw new BundleFormatException(source + " does not say what kind of bundle it is");
    }
    List<TensorSpec> tensors = new ArrayList<>();
    try {
      for (io.fedbase.proto.v1.TensorSpec t : header.getTensorsList()) {
        int[] shape = new int[t.getShapeCount()];
        for (int i = 0; i < shape.length; i++) {
          long d = t.getShape(i);
          if (d <= 0 || d > Integer.MAX_VALUE) {
            throw new BundleFormatException(source + ": tensor " + t.getName() + " has dimension " + d);
          }
          shape[i] = (int) d;
        }
        tensors.add(new TensorSpec(t.getName(), shape, t.getLogits()));
      }
      BundleLayout layout = new BundleLayout(header.getSpecHash(), tensors);
      if (header.getPayloadBytes() != 4L * layout.totalSize()) {
        throw new BundleFormatException(
            source + " header says " + header.getPayloadBytes() + " payload bytes but its tensors need " + 4L * layout.totalSize());
      }
      return layout;
    } catch (IllegalArgumentException e) {
      throw new BundleFormatException(source + " has an invalid header: " + e.getMessage(), e);
    }
  }

  private static void checkMatches(BundleLayout actual, BundleLayout expected, String source) throws BundleFormatException {
    if (!actual.specHash().equals(expected.specHash())) {
      throw new BundleFormatException(
          source + " belongs to model spec " + BundleLayout.shortHash(actual.specHash())
              + ", expected spec " + BundleLayout.shortHash(expected.specHash()));
    }
    if (!actual.tensors().equals(expected.tensors())) {
      throw new BundleFormatException(source + " names the expected spec but its tensor list differs");
    }
  }

  private static void readFully(InputStream in, byte[] buf, String source, String what) throws IOException {
    readFully(in, buf, buf.length, source, what);
  }

  private static void readFully(InputStream in, byte[] buf, int length, String source, String what) throws IOException {
    int done = 0;
    while (done < length) {
      int n;
      try {
        n = in.read(buf, done, length - done);
      } catch (EOFException e) {
        n = -1;
      }
      if (n < 0) {
        throw new BundleFormatException(source + " is truncated: it ends inside " + what);
      }
      done += n;
    }
  }
}
