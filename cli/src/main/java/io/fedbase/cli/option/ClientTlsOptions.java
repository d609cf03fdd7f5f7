package io.fedbase.cli.option;

import io.fedbase.security.Identity;
import io.fedbase.security.Pem;
import io.fedbase.security.Role;
import io.fedbase.security.SigningIdentity;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How a client proves who it is and whom it trusts: the federation's CA certificate and this
 * client's certificate and key from {@code fedbase ca issue} (mutual TLS), or an explicit {@code
 * --insecure} for plaintext.
 */
public final class ClientTlsOptions {

  @Option(names = "--ca", description = "The federation's CA certificate (ca.pem) to trust.")
  public Path ca;

  @Option(names = "--cert", description = "This client's certificate from `fedbase ca issue`.")
  public Path cert;

  @Option(names = "--key", description = "This client's private key from `fedbase ca issue`.")
  public Path key;

  @Option(names = "--insecure", description = "Plaintext gRPC without TLS (only for loopback tests and demos).")
  public boolean insecure;

  /**
   * The node id to use: with TLS the certificate's (a different {@code --node-id} is an error, as
   * the coordinator would refuse it), in plaintext the given one, which is then required.
   */
  public String nodeId(String given) throws IOException {
    if (insecure || cert == null) {
      if (given == null) {
        throw new IllegalArgumentException("--node-id is required without a certificate");
      }
      Identity.requireValidId(given);
      return given;
    }
    Identity identity = Identity.of(Pem.readCertificate(cert));
    if (identity.role() != Role.NODE) {
      throw new IllegalArgumentException(cert + " is a " + identity.role().key() + " certificate; a node needs one issued with --role node");
    }
    if (given != null && !given.equals(identity.id())) {
      throw new IllegalArgumentException("--node-id " + given + " differs from the certificate's id '" + identity.id() + "'");
    }
    return identity.id();
  }

  /**
   * The certificate, key and CA this node signs its secure-aggregation keys with (the same files as
   * its mutual TLS); empty in plaintext, where it cannot take part in secure rounds.
   */
  public Optional<SigningIdentity> signingIdentity() throws IOException {
    if (insecure || ca == null || cert == null || key == null) {
      return Optional.empty();
    }
    return Optional.of(SigningIdentity.read(cert, key, ca));
  }

  /** Channel credentials for these options; the choice must be explicit. */
  public ChannelCredentials credentials() throws IOException {
    boolean anyTls = ca != null || cert != null || key != null;
    if (insecure && anyTls) {
      throw new IllegalArgumentException("--insecure cannot be combined with --ca, --cert or --key");
    }
    if (insecure) {
      return InsecureChannelCredentials.create();
    }
    if (ca == null || cert == null || key == null) {
      throw new IllegalArgumentException(
          "connecting needs --ca, --cert and --key (mutual TLS; `fedbase ca issue` makes them), or --insecure for plaintext");
    }
    for (Path p : new Path[] {ca, cert, key}) {
      if (!Files.isReadable(p)) {
        throw new NoSuchFileException(p.toString(), null, "TLS file not found or not readable");
      }
    }
    try {
      return TlsChannelCredentials.newBuilder().trustManager(ca.toFile()).keyManager(cert.toFile(), key.toFile()).build();
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load the TLS files: " + e.getMessage(), e);
    }
  }
}
