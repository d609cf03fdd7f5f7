package io.fedbase.secagg;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Unambiguous bytes for what gets signed, hashed, fed to HKDF or bound as GCM associated data:
 * fixed-width numbers and length-prefixed strings and byte arrays, so no two different field
 * lists encode alike.
 */
final class Encoder {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final DataOutputStream out = new DataOutputStream(bytes);

  Encoder(String domainTag) {
    string(domainTag);
  }

  Encoder u32(int value) {
    try {
      out.writeInt(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  Encoder u64(long value) {
    try {
      out.writeLong(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  Encoder bytes(byte[] value) {
    u32(value.length);
    bytes.writeBytes(value);
    return this;
  }

  Encoder string(String value) {
    return bytes(value.getBytes(StandardCharsets.UTF_8));
  }

  byte[] toByteArray() {
    return bytes.toByteArray();
  }
}
