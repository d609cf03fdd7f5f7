package io.fedbase.security;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A certificate the CA signed and the private key that goes with it (the key is never stored by the CA). */
public record IssuedCertificate(Identity identity, X509Certificate certificate, PrivateKey key) {}
