package io.fedbase.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {

  @TempDir Path dir;

  @Test
  void issuesCertificatesThatCarryTheIdentityAndChainToTheRoot() throws Exception {
    CertificateAuthority ca = CertificateAuthority.init(dir, "test federation", Duration.ofDays(365), Clock.systemUTC());
    IssuedCertificate node = ca.issue(new Identity("hospital-a", Role.NODE), List.of(), List.of(), Duration.ofDays(30));
    X509Certificate cert = node.certificate();
    cert.verify(ca.certificate().getPublicKey());
    cert.checkValidity();
    assertEquals(new Identity("hospital-a", Role.NODE), Identity.of(cert));
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "client authentication");
    assertFalse(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "a node cannot serve");
    assertEquals(-1, cert.getBasicConstraints(), "not a CA");
    assertTrue(ca.certificate().getBasicConstraints() >= 0, "the root is a CA");

    // the private key matches the certificate
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(node.key());
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    s.initVerify(cert.getPublicKey());
    s.update(new byte[] {1, 2, 3});
    assertTrue(s.verify(sig));

    Path certFile = dir.resolve("out/hospital-a.pem");
    Path keyFile = dir.resolve("out/hospital-a.key");
    Pem.write(certFile, cert);
    Pem.writePrivateKey(keyFile, node.key());
    assertEquals(cert, Pem.readCertificate(certFile));
    assertEquals(node.key(), Pem.readPrivateKey(keyFile));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(CertificateAuthority.KEY))));

    IssuedCertificate server = ca.issue(new Identity("coordinator", Role.COORDINATOR), List.of("localhost"), List.of("127.0.0.1"), Duration.ofDays(30));
    assertTrue(server.certificate().getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.1"), "server authentication");
    assertEquals(2, server.certificate().getSubjectAlternativeNames().size());
    assertTrue(!server.certificate().getSerialNumber().equals(cert.getSerialNumber()), "serials are unique");
  }

  @Test
  void revocationIsListedInASignedCrlAndSurvivesReopening() throws Exception {
    CertificateAuthority ca = CertificateAuthority.init(dir, "test", Duration.ofDays(365), Clock.systemUTC());
    X509Certificate a = ca.issue(new Identity("a", Role.NODE), List.of(), List.of(), Duration.ofDays(30)).certificate();
    X509Certificate b = ca.issue(new Identity("b", Role.READER), List.of(), List.of(), Duration.ofDays(30)).certificate();
    assertFalse(ca.crl().isRevoked(a));
    assertEquals(1, ca.revoke("a"));
    X509CRL crl = ca.crl();
    crl.verify(ca.certificate().getPublicKey());
    assertTrue(crl.isRevoked(a));
    assertFalse(crl.isRevoked(b));
    assertNotNull(crl.getNextUpdate());

    CertificateAuthority reopened = CertificateAuthority.open(dir, Clock.systemUTC());
    assertEquals(2, reopened.issued().size());
    assertTrue(reopened.issued().get(0).revoked());
    X509Certificate c = reopened.issue(new Identity("c", Role.OPERATOR), List.of(), List.of(), Duration.ofDays(1)).certificate();
    assertTrue(c.getSerialNumber().compareTo(b.getSerialNumber()) > 0, "serials keep counting after reopening");
    assertThrows(IllegalArgumentException.class, () -> reopened.revoke("a"), "already revoked");
    assertThrows(IllegalArgumentException.class, () -> reopened.revoke("nobody"));
  }

  @Test
  void refusesBadRequests() throws IOException {
    CertificateAuthority ca = CertificateAuthority.init(dir, "test", Duration.ofDays(365), Clock.systemUTC());
    assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.init(dir, "again", Duration.ofDays(1), Clock.systemUTC()));
    assertThrows(IllegalArgumentException.class, () -> new Identity("../etc", Role.NODE));
    assertThrows(IllegalArgumentException.class, () -> new Identity("", Role.NODE));
    assertThrows(IllegalArgumentException.class, () -> Role.fromKey("admin"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ca.issue(new Identity("c", Role.COORDINATOR), List.of(), List.of(), Duration.ofDays(1)));
    assertTrue(e.getMessage().contains("DNS name or IP address"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ca.issue(new Identity("c", Role.COORDINATOR), List.of(), List.of("example.com"), Duration.ofDays(1)));
    assertThrows(java.nio.file.NoSuchFileException.class, () -> CertificateAuthority.open(dir.resolve("none"), Clock.systemUTC()));
    Files.writeString(dir.resolve("junk.pem"), "not pem");
    assertThrows(IOException.class, () -> Pem.readCertificate(dir.resolve("junk.pem")));
    assertThrows(IOException.class, () -> Pem.readCertificate(dir.resolve(CertificateAuthority.KEY)), "a key is not a certificate");
  }
}
