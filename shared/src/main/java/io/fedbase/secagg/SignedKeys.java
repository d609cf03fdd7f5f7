package io.fedbase.secagg;


/**
 * A node's advertisement with the certificate (DER) it came with: the coordinator relays both, and
 * every receiver checks the certificate against the federation's CA and the signature under it.
 */
public record SignedKeys(KeyAdvertisement advertisement, byte[] certificate) {

  public SignedKeys {
    certificate = certificate.clone();
  }

  @Override
  public byte[] certificate() {
    return certificate.clone();
  }
}
