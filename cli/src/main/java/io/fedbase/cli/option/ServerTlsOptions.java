package io.fedbase.cli.option;

import io.fedbase.coordinator.transport.AccessControl;
import io.fedbase.coordinator.transport.CertificateAuthenticator;
import io.fedbase.coordinator.transport.MutualTls;
import io.fedbase.coordinator.transport.SecurityAudit;
import io.fedbase.coordinator.transport.TransportLimits;
import io.fedbase.security.CertificateAuthority;
import io.fedbase.security.Pem;
import io.grpc.InsecureServerCredentials;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import picocli.CommandLine.Option;

/**
 * How the coordinator serves: mutual TLS with the federation's CA (client certificates required,
 * checked against the revocation list on every call, roles enforced by {@link AccessControl},
 * refusals audited; see {@link MutualTls}), or an explicit {@code --insecure} for plaintext without
 * any access control.
 */
public final class ServerTlsOptions {

  @Option(names = "--ca", description = "The federation's CA certificate (ca.pem); clients must present certificates it signed.")
  public Path ca;

  @Option(names = "--crl", description = "The CA's revocation list, re-read when it changes (default: crl.pem beside --ca).")
  public Path crl;

  @Option(names = "--cert", description = "The coordinator's certificate (`fedbase ca issue --role coordinator`).")
  public Path cert;

  @Option(names = "--key", description = "The coordinator's private key.")
  public Path key;

  @Option(names = "--insecure", description = "Serve plaintext gRPC with no authentication (only for loopback tests and demos).")
  public boolean insecure;

  /** Checks the flags before anything starts. */
  public void validate() throws IOException {
    boolean anyTls = ca != null || cert != null || key != null || crl != null;
    if (insecure && anyTls) {
      throw new IllegalArgumentException("--insecure cannot be combined with --ca, --crl, --cert or --key");
    }
    if (insecure) {
      return;
    }
    if (ca == null || cert == null || key == null) {
      throw new IllegalArgumentException(
          "serving needs --ca, --cert and --key (mutual TLS; `fedbase ca init` and `fedbase ca issue --role coordinator` make them), or --insecure for plaintext");
    }
    for (Path p : new Path[] {ca, cert, key, crlFile()}) {
      if (!Files.isReadable(p)) {
        throw new NoSuchFileException(p.toString(), null, "TLS file not found or not readable");
      }
    }
  }

  private Path crlFile() {
    return crl != null ? crl : ca.toAbsolutePath().resolveSibling(CertificateAuthority.CRL);
  }

  /**
   * A Netty server builder bound to {@code address}, with TLS and access control unless insecure,
   * and the coordinator's transport limits; refused handshakes and calls are audited and counted
   * in {@code refusals}.
   */
  public NettyServerBuilder serverBuilder(InetSocketAddress address, SecurityAudit.Tally refusals) throws IOException {
    validate();
    if (insecure) {
      return TransportLimits.apply(NettyServerBuilder.forAddress(address, InsecureServerCredentials.create()));
    }
    X509Certificate authority;
    try {
      authority = Pem.readCertificate(ca);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load the TLS files: " + e.getMessage(), e);
    }
    CertificateAuthenticator authenticator = new CertificateAuthenticator(authority, crlFile());
    try {
      return TransportLimits.apply(MutualTls.serverBuilder(address, cert.toFile(), key.toFile(), authenticator, SecurityAudit.toLog(refusals)));
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load the TLS files: " + e.getMessage(), e);
    }
  }

  public String mode() {
    return insecure ? "plaintext (--insecure: no TLS, no authentication)" : "mutual TLS";
  }
}
