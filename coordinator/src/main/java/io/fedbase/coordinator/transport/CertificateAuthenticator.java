package io.fedbase.coordinator.transport;

import io.fedbase.security.Identity;
import io.fedbase.security.Pem;
import io.grpc.Attributes;
import io.grpc.Grpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a call's TLS session into an {@link Identity}: the client certificate (already chained to
 * the federation's CA by the TLS handshake) is checked against the revocation list, which is
 * re-read whenever its file changes, so {@code fedbase ca revoke} takes effect on the next call
 * without a restart. A revocation list that fails its signature check is ignored in favour of the
 * last good one, and said so in the log.
 */
public final class CertificateAuthenticator {

  /** Why a call has no usable identity. */
  public static final class AuthenticationException extends Exception {
    private final String who;

    AuthenticationException(String message, String who) {
      super(message);
      this.who = who;
    }

    /** Whom the refused certificate names, for the audit: its fedbase id, else its subject, else "unknown". */
    public String who() {
      return who;
    }
  }

  private static final Logger LOG = LoggerFactory.getLogger(CertificateAuthenticator.class);

  private final X509Certificate authority;
  private final Path crlFile;
  private X509CRL crl;
  private FileTime crlModified;

  /** @param crlFile the CA's {@code crl.pem}; must exist and be signed by {@code authority} */
  public CertificateAuthenticator(X509Certificate authority, Path crlFile) throws IOException {
    this.authority = authority;
    this.crlFile = crlFile;
    this.crl = verified(Pem.readCrl(crlFile));
    this.crlModified = Files.getLastModifiedTime(crlFile);
  }

  /** The federation's CA, which signed every certificate this accepts. */
  public X509Certificate authority() {
    return authority;
  }

  /** The identity of the peer of a call with these transport attributes. */
  public Identity identify(Attributes transport) throws AuthenticationException {
    return Identity.of(certificate(transport));
  }

  /**
   * Whether {@code certificate} is revoked by the current revocation list (re-read if its file
   * changed): how a call that outlives its start, a round stream, learns of a revocation.
   */
  public boolean isRevoked(X509Certificate certificate) {
    return currentCrl().isRevoked(certificate);
  }

  /** The peer's certificate, checked: presented over TLS, X.509, not revoked, naming a fedbase identity. */
  public X509Certificate certificate(Attributes transport) throws AuthenticationException {
    SSLSession session = transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      throw new AuthenticationException("the call did not arrive over TLS", "unknown");
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw new AuthenticationException("no client certificate was presented; issue one with `fedbase ca issue`", "unknown");
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      throw new AuthenticationException("the client certificate is not an X.509 certificate", "unknown");
    }
    if (currentCrl().isRevoked(leaf)) {
      throw new AuthenticationException("the client certificate (serial " + leaf.getSerialNumber().toString(16) + ") has been revoked", nameOf(leaf));
    }
    try {
      Identity.of(leaf);
    } catch (IllegalArgumentException e) {
      throw new AuthenticationException("the client certificate names no fedbase identity: " + e.getMessage(), nameOf(leaf));
    }
    return leaf;
  }

  /** The certificate's fedbase id, or its subject if it names none. */
  static String nameOf(X509Certificate certificate) {
    try {
      return Identity.of(certificate).id();
    } catch (IllegalArgumentException e) {
      return certificate.getSubjectX500Principal().getName();
    }
  }

  private synchronized X509CRL currentCrl() {
    try {
      FileTime modified = Files.getLastModifiedTime(crlFile);
      if (!modified.equals(crlModified)) {
        crlModified = modified;
        crl = verified(Pem.readCrl(crlFile));
        LOG.info("revocation list reloaded: {} revoked certificate(s)", crl.getRevokedCertificates() == null ? 0 : crl.getRevokedCertificates().size());
      }
    } catch (IOException | IllegalStateException e) {
      LOG.warn("keeping the previous revocation list: {}", e.getMessage());
    }
    return crl;
  }

  private X509CRL verified(X509CRL candidate) {
    try {
      candidate.verify(authority.getPublicKey());
      return candidate;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(crlFile + " is not signed by the federation's CA: " + e.getMessage(), e);
    }
  }
}
