package io.fedbase.security;

import java.io.IOException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * A node's certificate, its private key and the federation's CA certificate: what it signs its
 * secure-aggregation keys with, and checks the other participants' certificates against.
 */
public record SigningIdentity(PrivateKey key, X509Certificate certificate, X509Certificate ca) {

  /** Reads the PEM files a node's mutual TLS already uses. */
  public static SigningIdentity read(Path certificate, Path key, Path ca) throws IOException {
    return new SigningIdentity(Pem.readPrivateKey(key), Pem.readCertificate(certificate), Pem.readCertificate(ca));
  }

  /** The id the certificate names. */
  public String nodeId() {
    return Identity.of(certificate).id();
  }
}
