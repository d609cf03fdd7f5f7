package io.fedbase.secagg;

import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Role;
import java.io.IOException;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A real CA with node certificates, and deterministic randomness, for the secure-aggregation tests. */
final class TestFederation {

  final CertificateAuthority ca;
  final Map<String, IssuedCertificate> nodes = new LinkedHashMap<>();

  TestFederation(Path dir, List<String> ids) throws IOException {
    ca = CertificateAuthority.init(dir, "secagg test", Duration.ofDays(30), Clock.systemUTC());
    for (String id : ids) {
      nodes.put(id, ca.issue(new Identity(id, Role.NODE), List.of(), List.of(), Duration.ofDays(1)));
    }
  }

  static List<String> ids(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(String.format("node-%02d", i));
    }
    return ids;
  }

  IssuedCertificate issue(String id, Role role) throws IOException {
    return ca.issue(new Identity(id, role), role == Role.COORDINATOR ? List.of("localhost") : List.of(), List.of(), Duration.ofDays(1));
  }

  CertificateLookup lookup() {
    Map<String, X509Certificate> certs = new LinkedHashMap<>();
    nodes.forEach((id, issued) -> certs.put(id, issued.certificate()));
    return CertificateLookup.issuedBy(ca.certificate(), certs);
  }

  SecAggClient client(RoundConfig config, String id, long seed) {
    return new SecAggClient(config, id, nodes.get(id).key(), lookup(), seeded(seed));
  }

  /** A SecureRandom that repeats for a seed, so statistical assertions are reproducible. */
  static SecureRandom seeded(long seed) {
    try {
      SecureRandom r = SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
