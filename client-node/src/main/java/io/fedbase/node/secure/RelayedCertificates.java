package io.fedbase.node.secure;

import io.fedbase.secagg.CertificateLookup;
import io.fedbase.secagg.SecAggException;
import io.fedbase.secagg.SignedKeys;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The other participants' certificates as the coordinator relayed them with their keys. Trust comes
 * from the federation's CA, not from the relay: every certificate must be signed by it and valid
 * now (the node has no CRL; a revoked node is kept out by the coordinator's mTLS check).
 */
final class RelayedCertificates implements CertificateLookup {

  private final X509Certificate ca;
  private volatile CertificateLookup verified =
      nodeId -> {
        throw new SecAggException(SecAggException.Reason.UNKNOWN_NODE, "no certificates have arrived yet");
      };

  RelayedCertificates(X509Certificate ca) {
    this.ca = ca;
  }

  /** Takes the certificates relayed with the round's advertisements. */
  void accept(List<SignedKeys> advertisements) throws SecAggException {
    Map<String, X509Certificate> byNode = new HashMap<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (SignedKeys signed : advertisements) {
        byNode.put(
            signed.advertisement().nodeId(), (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(signed.certificate())));
      }
    } catch (CertificateException e) {
      throw new SecAggException(SecAggException.Reason.MALFORMED, "a relayed certificate does not parse: " + e.getMessage(), e);
    }
    verified = CertificateLookup.issuedBy(ca, byNode);
  }

  @Override
  public X509Certificate certificateOf(String nodeId) throws SecAggException {
    return verified.certificateOf(nodeId);
  }
}
