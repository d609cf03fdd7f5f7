package io.fedbase.security;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import io.fedbase.bundle.AtomicFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The federation's own small certificate authority, so an operator needs no other tool: a
 * self-signed ECDSA P-256 root, certificates for coordinators, nodes, readers and operators (the
 * identity in the subject), a registry of what was issued, and a revocation list re-signed on
 * every revocation. Its directory holds {@code ca.pem}, {@code ca.key} (owner-only),
 * {@code crl.pem} and {@code registry.json}; every file is replaced atomically.
 */
public final class CertificateAuthority {

  public static final String CERTIFICATE = "ca.pem";
  public static final String KEY = "ca.key";
  public static final String CRL = "crl.pem";
  public static final String REGISTRY = "registry.json";

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration CRL_VALIDITY = Duration.ofDays(30);
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** One issued certificate as the registry remembers it. */
  public record Entry(String id, String role, String serial, String notAfter, String revokedAt) {
    public boolean revoked() {
      return revokedAt != null;
    }
  }

  private record Registry(long nextSerial, List<Entry> issued) {}

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final Clock clock;
  private Registry registry;

  private CertificateAuthority(Path dir, X509Certificate certificate, PrivateKey key, Registry registry, Clock clock) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
    this.registry = registry;
    this.clock = clock;
  }

  /** Creates a CA in {@code dir}; refuses a directory that already holds one. */
  public static CertificateAuthority init(Path dir, String name, Duration validity, Clock clock) throws IOException {
    if (Files.exists(dir.resolve(CERTIFICATE)) || Files.exists(dir.resolve(KEY))) {
      throw new IllegalArgumentException(dir + " already holds a CA; refusing to overwrite it");
    }
    Files.createDirectories(dir);
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    X500Name subject = new X500Name("CN=" + name + ",O=fedbase");
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(pair.getPrivate())));
      Pem.writePrivateKey(dir.resolve(KEY), pair.getPrivate());
      Pem.write(dir.resolve(CERTIFICATE), cert);
      CertificateAuthority ca = new CertificateAuthority(dir, cert, pair.getPrivate(), new Registry(2, List.of()), clock);
      ca.saveRegistry();
      ca.writeCrl();
      return ca;
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot create the CA certificate: " + e.getMessage(), e);
    }
  }

  /** Opens the CA in {@code dir}. */
  public static CertificateAuthority open(Path dir, Clock clock) throws IOException {
    if (!Files.exists(dir.resolve(CERTIFICATE))) {
      throw new java.nio.file.NoSuchFileException(dir.resolve(CERTIFICATE).toString(), null, "no CA here; create one with `fedbase ca init`");
    }
    X509Certificate cert = Pem.readCertificate(dir.resolve(CERTIFICATE));
    PrivateKey key = Pem.readPrivateKey(dir.resolve(KEY));
    Registry registry;
    try {
      registry = GSON.fromJson(Files.readString(dir.resolve(REGISTRY)), Registry.class);
    } catch (JsonParseException | java.nio.file.NoSuchFileException e) {
      throw new IOException(dir.resolve(REGISTRY) + " is missing or damaged: " + e.getMessage(), e);
    }
    if (registry == null || registry.issued() == null) {
      throw new IOException(dir.resolve(REGISTRY) + " is damaged");
    }
    return new CertificateAuthority(dir, cert, key, registry, clock);
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /** Everything issued so far, revoked or not. */
  public List<Entry> issued() {
    return registry.issued();
  }

  /**
   * Signs a new key pair for {@code identity}. A coordinator's certificate needs the host names
   * or IP addresses clients will dial (checked by TLS hostname verification).
   */
  public IssuedCertificate issue(Identity identity, List<String> dnsNames, List<String> ipAddresses, Duration validity) throws IOException {
    if (identity.role() == Role.COORDINATOR && dnsNames.isEmpty() && ipAddresses.isEmpty()) {
      throw new IllegalArgumentException("a coordinator certificate needs at least one DNS name or IP address that clients dial");
    }
    KeyPair pair = newKeyPair();
    Instant now = clock.instant();
    Instant notAfter = now.plus(validity);
    if (notAfter.isAfter(certificate.getNotAfter().toInstant())) {
      notAfter = certificate.getNotAfter().toInstant();
    }
    BigInteger serial = BigInteger.valueOf(registry.nextSerial());
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(certificate, serial, Date.from(now.minusSeconds(60)), Date.from(notAfter), identity.subject(), pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
      KeyPurposeId[] purposes =
          identity.role() == Role.COORDINATOR
              ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
              : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      List<GeneralName> names = new ArrayList<>();
      dnsNames.forEach(d -> names.add(new GeneralName(GeneralName.dNSName, d)));
      for (String ip : ipAddresses) {
        names.add(new GeneralName(GeneralName.iPAddress, literalAddress(ip)));
      }
      if (!names.isEmpty()) {
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(key)));
      List<Entry> issued = new ArrayList<>(registry.issued());
      issued.add(new Entry(identity.id(), identity.role().key(), serial.toString(16), notAfter.toString(), null));
      registry = new Registry(registry.nextSerial() + 1, List.copyOf(issued));
      saveRegistry();
      return new IssuedCertificate(identity, cert, pair.getPrivate());
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign a certificate: " + e.getMessage(), e);
    }
  }

  /** Revokes every unrevoked certificate of {@code id} and re-signs the CRL; returns how many. */
  public int revoke(String id) throws IOException {
    Instant now = clock.instant();
    int count = 0;
    List<Entry> issued = new ArrayList<>();
    for (Entry e : registry.issued()) {
      if (e.id().equals(id) && !e.revoked()) {
        issued.add(new Entry(e.id(), e.role(), e.serial(), e.notAfter(), now.toString()));
        count++;
      } else {
        issued.add(e);
      }
    }
    if (count == 0) {
      throw new IllegalArgumentException("no unrevoked certificate was issued to '" + id + "'");
    }
    registry = new Registry(registry.nextSerial(), List.copyOf(issued));
    saveRegistry();
    writeCrl();
    return count;
  }

  /** The current revocation list. */
  public X509CRL crl() throws IOException {
    return Pem.readCrl(dir.resolve(CRL));
  }

  private void writeCrl() throws IOException {
    Instant now = clock.instant();
    try {
      X509v2CRLBuilder b = new JcaX509v2CRLBuilder(certificate, Date.from(now));
      b.setNextUpdate(Date.from(now.plus(CRL_VALIDITY)));
      for (Entry e : registry.issued()) {
        if (e.revoked()) {
          b.addCRLEntry(new BigInteger(e.serial(), 16), Date.from(Instant.parse(e.revokedAt())), CRLReason.privilegeWithdrawn);
        }
      }
      X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(signer(key)));
      Pem.write(dir.resolve(CRL), crl);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot sign the revocation list: " + e.getMessage(), e);
    }
  }

  private void saveRegistry() throws IOException {
    AtomicFiles.writeString(dir.resolve(REGISTRY), GSON.toJson(registry) + "\n");
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate P-256 keys: " + e.getMessage(), e);
    }
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }

  private static String literalAddress(String ip) {
    // only literals: resolving a name here would put whatever DNS says into the certificate
    if (!ip.matches("[0-9.]+") && !ip.contains(":")) {
      throw new IllegalArgumentException("an IP address must be a literal, got '" + ip + "'");
    }
    try {
      return InetAddress.getByName(ip).getHostAddress();
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("an IP address must be a literal, got '" + ip + "'");
    }
  }
}
