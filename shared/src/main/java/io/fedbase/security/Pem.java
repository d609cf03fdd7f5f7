package io.fedbase.security;

import io.fedbase.bundle.AtomicFiles;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * PEM files of certificates, PKCS#8 private keys (the form Netty's TLS accepts) and CRLs, written
 * atomically and read with a clear error when a file holds something else.
 */
public final class Pem {

  private Pem() {}

  /** Writes a certificate or a CRL. */
  public static void write(Path file, Object certificateOrCrl) throws IOException {
    AtomicFiles.write(
        file,
        out -> {
          JcaPEMWriter w = new JcaPEMWriter(new OutputStreamWriter(out, StandardCharsets.US_ASCII));
          w.writeObject(certificateOrCrl);
          w.flush();
          return null;
        });
  }

  /** Writes an unencrypted PKCS#8 private key readable only by its owner. */
  public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    AtomicFiles.write(
        file,
        out -> {
          JcaPEMWriter w = new JcaPEMWriter(new OutputStreamWriter(out, StandardCharsets.US_ASCII));
          w.writeObject(new JcaPKCS8Generator(key, null));
          w.flush();
          return null;
        });
    try {
      Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // not a POSIX file system: the platform's default protection applies
    }
  }

  public static X509Certificate readCertificate(Path file) throws IOException {
    Object o = readObject(file);
    if (!(o instanceof X509CertificateHolder holder)) {
      throw new IOException(file + " does not hold a PEM certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException e) {
      throw new IOException(file + ": unreadable certificate: " + e.getMessage(), e);
    }
  }

  public static PrivateKey readPrivateKey(Path file) throws IOException {
    Object o = readObject(file);
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    if (o instanceof PrivateKeyInfo info) {
      return converter.getPrivateKey(info);
    }
    if (o instanceof PEMKeyPair pair) {
      return converter.getKeyPair(pair).getPrivate();
    }
    throw new IOException(file + " does not hold an unencrypted PEM private key");
  }

  public static X509CRL readCrl(Path file) throws IOException {
    Object o = readObject(file);
    if (!(o instanceof X509CRLHolder holder)) {
      throw new IOException(file + " does not hold a PEM certificate revocation list");
    }
    try {
      return new JcaX509CRLConverter().getCRL(holder);
    } catch (CRLException e) {
      throw new IOException(file + ": unreadable revocation list: " + e.getMessage(), e);
    }
  }

  private static Object readObject(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "PEM file not found");
    }
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser parser = new PEMParser(r)) {
      Object o = parser.readObject();
      if (o == null) {
        throw new IOException(file + " holds no PEM object");
      }
      return o;
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException(file + " is not a valid PEM file: " + e.getMessage(), e);
    }
  }
}
