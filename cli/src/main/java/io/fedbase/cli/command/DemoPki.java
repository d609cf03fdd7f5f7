package io.fedbase.cli.command;

import io.fedbase.cli.option.ClientTlsOptions;
import io.fedbase.cli.option.ServerTlsOptions;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The demo's throwaway PKI: a CA in its own directory (reused across runs), a coordinator
 * certificate for 127.0.0.1 and one node certificate per node, so the demo runs the same mutual
 * TLS and access control as a real federation.
 */
public final class DemoPki {

  private static final Duration VALIDITY = Duration.ofDays(30);

  private final Path dir;

  private DemoPki(Path dir) {
    this.dir = dir;
  }

  static DemoPki create(Path dir, List<String> nodeIds) throws IOException {
    CertificateAuthority ca =
        Files.exists(dir.resolve(CertificateAuthority.CERTIFICATE))
            ? CertificateAuthority.open(dir, Clock.systemUTC())
            : CertificateAuthority.init(dir, "fedbase demo CA", Duration.ofDays(3650), Clock.systemUTC());
    write(dir, ca.issue(new Identity("coordinator", Role.COORDINATOR), List.of("localhost"), List.of("127.0.0.1"), VALIDITY));
    for (String id : nodeIds) {
      write(dir, ca.issue(new Identity(id, Role.NODE), List.of(), List.of(), VALIDITY));
    }
    return new DemoPki(dir);
  }

  private static void write(Path dir, IssuedCertificate issued) throws IOException {
    Pem.writePrivateKey(dir.resolve(issued.identity().id() + ".key"), issued.key());
    Pem.write(dir.resolve(issued.identity().id() + ".pem"), issued.certificate());
  }

  ServerTlsOptions server() {
    ServerTlsOptions tls = new ServerTlsOptions();
    tls.ca = dir.resolve(CertificateAuthority.CERTIFICATE);
    tls.cert = dir.resolve("coordinator.pem");
    tls.key = dir.resolve("coordinator.key");
    return tls;
  }

  ClientTlsOptions client(String id) {
    ClientTlsOptions tls = new ClientTlsOptions();
    tls.ca = dir.resolve(CertificateAuthority.CERTIFICATE);
    tls.cert = dir.resolve(id + ".pem");
    tls.key = dir.resolve(id + ".key");
    return tls;
  }
}
