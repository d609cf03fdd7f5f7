package io.fedbase.cli.command;

import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Identity;
import io.fedbase.security.IssuedCertificate;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code ca}: the federation's own certificate authority, so no other tool is needed. */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    description = "The federation's certificate authority: init, issue, revoke, list.",
    subcommands = {CaCommand.Init.class, CaCommand.Issue.class, CaCommand.Revoke.class, CaCommand.ListIssued.class})
public final class CaCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "init", mixinStandardHelpOptions = true, description = "Create a CA (ca.pem, ca.key, crl.pem, registry.json) in --dir.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Directory of the CA; keep ca.key secret.")
    Path dir;

    @Option(names = "--name", defaultValue = "fedbase federation CA", description = "Common name of the CA (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--days", defaultValue = "3650", description = "Validity of the CA certificate in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--if-missing", description = "Do nothing (and succeed) when --dir already holds a CA, e.g. in a provisioning job.")
    boolean ifMissing;

    @Override
    public Integer call() throws Exception {
      requirePositive(days);
      if (ifMissing && Files.exists(dir.resolve(CertificateAuthority.CERTIFICATE))) {
        System.out.println("CA already present in " + dir + "; nothing to do");
        return 0;
      }
      CertificateAuthority ca = CertificateAuthority.init(dir, name, Duration.ofDays(days), Clock.systemUTC());
      System.out.println("CA '" + name + "' created in " + dir + " (valid until " + ca.certificate().getNotAfter().toInstant() + ")");
      System.out.println("give " + dir.resolve(CertificateAuthority.CERTIFICATE) + " to every participant; keep " + dir.resolve(CertificateAuthority.KEY) + " secret");
      return 0;
    }
  }

  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description = {
        "Issue a key and certificate for a node, reader, operator or coordinator.",
        "Writes ID.pem, ID.key and a copy of ca.pem in --out. The identity (id and role) is the certificate's",
        "subject; a coordinator certificate names the hosts clients dial (--dns, --ip)."
      })
  static final class Issue implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Directory of the CA.")
    Path dir;

    @Option(names = {"--node-id", "--id"}, required = true, description = "The holder's id: 1 to 64 of [A-Za-z0-9._-].")
    String id;

    @Option(names = "--role", defaultValue = "node", description = "node, reader, operator or coordinator (default: ${DEFAULT-VALUE}).")
    String role;

    @Option(names = "--dns", split = ",", description = "Host names in the certificate (coordinator).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--ip", split = ",", description = "IP addresses in the certificate (coordinator).")
    List<String> ips = new ArrayList<>();

    @Option(names = "--days", defaultValue = "365", description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--out", required = true, description = "Where the key, certificate and ca.pem go.")
    Path out;

    @Option(names = "--if-missing", description = "Do nothing (and succeed) when --out already holds ID.key and ID.pem.")
    boolean ifMissing;

    @Override
    public Integer call() throws Exception {
      requirePositive(days);
      Identity identity = new Identity(id, Role.fromKey(role));
      if (identity.role() == Role.COORDINATOR && dns.isEmpty() && ips.isEmpty()) {
        throw new IllegalArgumentException("a coordinator certificate needs --dns NAME or --ip ADDRESS: the names clients dial");
      }
      Path certFile = out.resolve(id + ".pem");
      Path keyFile = out.resolve(id + ".key");
      if (ifMissing && Files.exists(keyFile) && Files.exists(certFile)) {
        System.out.println(keyFile + " and " + certFile + " already present; nothing to do");
        return 0;
      }
      if (Files.exists(keyFile)) {
        throw new IllegalArgumentException(keyFile + " exists; refusing to overwrite a key (revoke and remove it first)");
      }
      CertificateAuthority ca = CertificateAuthority.open(dir, Clock.systemUTC());
      IssuedCertificate issued = ca.issue(identity, dns, ips, Duration.ofDays(days));
      Files.createDirectories(out);
      Pem.writePrivateKey(keyFile, issued.key());
      Pem.write(certFile, issued.certificate());
      Files.copy(dir.resolve(CertificateAuthority.CERTIFICATE), out.resolve(CertificateAuthority.CERTIFICATE), StandardCopyOption.REPLACE_EXISTING);
      System.out.printf(
          "issued %s certificate for '%s' (serial %s, valid until %s): %s, %s, %s%n",
          identity.role().key(), id, issued.certificate().getSerialNumber().toString(16), issued.certificate().getNotAfter().toInstant(),
          certFile, keyFile, out.resolve(CertificateAuthority.CERTIFICATE));
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke every certificate of an id; the coordinator refuses it from its next call.")
  static final class Revoke implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Directory of the CA.")
    Path dir;

    @Option(names = {"--node-id", "--id"}, required = true, description = "The id to revoke.")
    String id;

    @Override
    public Integer call() throws Exception {
      int n = CertificateAuthority.open(dir, Clock.systemUTC()).revoke(id);
      System.out.println("revoked " + n + " certificate(s) of '" + id + "'; " + dir.resolve(CertificateAuthority.CRL) + " updated");
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List issued certificates.")
  static final class ListIssued implements Callable<Integer> {
    @Option(names = "--dir", required = true, description = "Directory of the CA.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      System.out.printf("%-24s %-12s %-8s %-22s %s%n", "id", "role", "serial", "valid until", "revoked");
      for (CertificateAuthority.Entry e : CertificateAuthority.open(dir, Clock.systemUTC()).issued()) {
        System.out.printf("%-24s %-12s %-8s %-22s %s%n", e.id(), e.role(), e.serial(), e.notAfter(), e.revoked() ? e.revokedAt() : "-");
      }
      return 0;
    }
  }

  private static void requirePositive(int days) {
    if (days < 1) {
      throw new IllegalArgumentException("--days must be at least 1, got " + days);
    }
  }
}
