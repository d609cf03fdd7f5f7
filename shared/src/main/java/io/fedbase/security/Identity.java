package io.fedbase.security;

import io.fedbase.wire.WireText;
import java.security.cert.X509Certificate;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/** Who a certificate speaks for: its subject's CN (the id) and OU (the role). */
public record Identity(String id, Role role) {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  public Identity {
    requireValidId(id);
  }

  /** Ids are 1-64 letters, digits, dots, dashes and underscores, starting with a letter or digit. */
  public static void requireValidId(String id) {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "an id must be 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit; got '" + WireText.field(id) + "'");
    }
  }

  /** The subject a certificate for this identity carries. */
  public X500Name subject() {
    return new X500Name("CN=" + id + ",OU=" + role.key() + ",O=fedbase");
  }

  /** The identity of a certificate issued by a fedbase CA. */
  public static Identity of(X509Certificate certificate) {
    X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
    String cn = single(subject, BCStyle.CN, "CN");
    String ou = single(subject, BCStyle.OU, "OU");
    return new Identity(cn, Role.fromKey(ou));
  }

  private static String single(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier type, String label) {
    RDN[] rdns = name.getRDNs(type);
    if (rdns.length != 1) {
      throw new IllegalArgumentException("certificate subject " + name + " must have exactly one " + label);
    }
    ASN1Encodable value = rdns[0].getFirst().getValue();
    return IETFUtils.valueToString(value);
  }
}
