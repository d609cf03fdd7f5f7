package io.fedbase.coordinator.transport;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts the client certificates that chain to the federation's CA, exactly as the JDK's PKIX
 * trust manager decides, and when it refuses one says whose it was: the refusal is a {@link
 * RefusedChain} naming the certificate's subject, which {@link HandshakeAudit} finds among the
 * causes of the failed handshake. (A client that offers no certificate, or one the CA did not
 * issue and so none at all, is refused by the TLS engine before a trust manager is asked.)
 */
final class FederationTrustManager extends X509ExtendedTrustManager {

  /** A client certificate chain the federation does not trust, and whose subject it named. */
  static final class RefusedChain extends CertificateException {
    private final String subject;

    RefusedChain(String subject, CertificateException why) {
      super("the client certificate is not trusted: " + why.getMessage(), why);
      this.subject = subject;
    }

    /** The refused certificate's subject: a claim nobody vouched for, so not read as a fedbase id. */
    String subject() {
      return subject;
    }
  }

  private final X509ExtendedTrustManager pkix;

  FederationTrustManager(X509Certificate authority) throws IOException {
    try {
      KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
      trusted.load(null, null);
      trusted.setCertificateEntry("federation-ca", authority);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(trusted);
      X509ExtendedTrustManager found = null;
      for (TrustManager tm : factory.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager x) {
          found = x;
        }
      }
      if (found == null) {
        throw new IOException("the JDK offers no X.509 trust manager");
      }
      this.pkix = found;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust the federation's CA: " + e.getMessage(), e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType, engine);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType, socket);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    try {
      pkix.checkClientTrusted(chain, authType);
    } catch (CertificateException e) {
      throw refused(chain, e);
    }
  }

  private static RefusedChain refused(X509Certificate[] chain, CertificateException why) {
    String subject = chain != null && chain.length > 0 ? chain[0].getSubjectX500Principal().getName() : "unknown";
    return new RefusedChain(subject, why);
  }

  // the coordinator only serves: it never checks a server

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    throw new CertificateException("the coordinator's trust manager checks clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    throw new CertificateException("the coordinator's trust manager checks clients only");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("the coordinator's trust manager checks clients only");
  }

  /** The federation's CA: what the server asks clients for, so a client picks a certificate it issued. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }
}
