package io.fedbase.secagg;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Map;

/**
 * The certificate a node id speaks with. The caller owns trust: an implementation returns only a
 * certificate it has validated (chains to the federation's CA, unexpired, unrevoked); this package
 * then checks that the certificate names the node and that the node's signature verifies under it.
 */
@FunctionalInterface
public interface CertificateLookup {

  /**
   * @throws SecAggException UNKNOWN_NODE when there is no acceptable certificate for the id
   */
  X509Certificate certificateOf(String nodeId) throws SecAggException;

  /**
   * A fixed map of certificates, each checked to be signed by {@code ca} and currently valid (no
   * revocation check: callers with a CRL wrap their own lookup).
   */
  static CertificateLookup issuedBy(X509Certificate ca, Map<String, X509Certificate> certificates) {
    Map<String, X509Certificate> copy = Map.copyOf(certificates);
    return nodeId -> {
      X509Certificate c = copy.get(nodeId);
      if (c == null) {
        throw new SecAggException(SecAggException.Reason.UNKNOWN_NODE, "no certificate for node '" + nodeId + "'");
      }
      try {
        c.verify(ca.getPublicKey());
        c.checkValidity();
      } catch (GeneralSecurityException e) {
        throw new SecAggException(SecAggException.Reason.UNKNOWN_NODE, "the certificate of '" + nodeId + "' is not acceptable: " + e.getMessage(), e);
      }
      return c;
    };
  }
}
