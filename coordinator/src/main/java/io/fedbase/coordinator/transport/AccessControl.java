package io.fedbase.coordinator.transport;

import io.fedbase.proto.v1.JoinRequest;
import io.fedbase.proto.v1.SecureAggregationMessage;
import io.fedbase.proto.v1.UpdateChunk;
import io.fedbase.proto.v1.WatchRoundsRequest;
import io.fedbase.security.Identity;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.WireText;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.X509Certificate;
import java.util.function.BooleanSupplier;

/**
 * The one place where calls are authorised: authenticates the peer's certificate, checks its role
 * against {@link AccessPolicy}, and for calls a node makes as itself, refuses the first message
 * that names another node id. Install it on the server builder so it guards every service. Every
 * refusal is recorded in the {@link SecurityAudit}.
 */
public final class AccessControl implements ServerInterceptor {

  /** The authenticated caller, for services that want to log or meter it. */
  public static final Context.Key<Identity> CALLER = Context.key("fedbase-caller");

  /**
   * Whether the caller's certificate still stands (not revoked since the call began), for calls
   * that stay open: a round stream ends when it no longer does.
   */
  public static final Context.Key<BooleanSupplier> STILL_VALID = Context.key("fedbase-still-valid");

  private final CertificateAuthenticator authenticator;
  private final SecurityAudit audit;

  public AccessControl(CertificateAuthenticator authenticator, SecurityAudit audit) {
    this.authenticator = authenticator;
    this.audit = audit;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    Identity caller;
    X509Certificate certificate;
    try {
      certificate = authenticator.certificate(call.getAttributes());
      caller = Identity.of(certificate);
    } catch (CertificateAuthenticator.AuthenticationException e) {
      audit.refused(SecurityAudit.Kind.AUTHENTICATION, e.who(), peer(call), method, e.getMessage());
      call.close(Status.UNAUTHENTICATED.withDescription(e.getMessage()), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AccessPolicy.Rule rule = AccessPolicy.ruleFor(method);
    if (!rule.roles().contains(caller.role())) {
      String why = "'" + caller.id() + "' holds a " + caller.role().key() + " certificate, which may not call " + call.getMethodDescriptor().getBareMethodName();
      audit.refused(SecurityAudit.Kind.AUTHORIZATION, caller.id(), peer(call), method, why);
      Refusal.NOT_PERMITTED.close(call, why);
      return new ServerCall.Listener<>() {};
    }
    BooleanSupplier stillValid = () -> !authenticator.isRevoked(certificate);
    ServerCall.Listener<Q> listener =
        Contexts.interceptCall(Context.current().withValues(CALLER, caller, STILL_VALID, stillValid), call, headers, next);
    return rule.actsAsSelf() ? new ActsAsSelf<>(listener, call, caller, audit) : listener;
  }

  private static String peer(ServerCall<?, ?> call) {
    return PeerAddress.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
  }

  /** Refuses a request that names a node other than the caller; nothing after it is delivered. */
  private static final class ActsAsSelf<Q> extends ForwardingServerCallListener.SimpleForwardingServerCallListener<Q> {
    private final ServerCall<Q, ?> call;
    private final Identity caller;
    private final SecurityAudit audit;
    private boolean refused;

    ActsAsSelf(ServerCall.Listener<Q> delegate, ServerCall<Q, ?> call, Identity caller, SecurityAudit audit) {
      super(delegate);
      this.call = call;
      this.caller = caller;
      this.audit = audit;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      String claimed = claimedNodeId(message);
      if (claimed != null && !claimed.equals(caller.id())) {
        refused = true;
        String why = "the certificate of '" + caller.id() + "' may not act as node '" + WireText.field(claimed) + "'";
        audit.refused(SecurityAudit.Kind.AUTHORIZATION, caller.id(), peer(call), call.getMethodDescriptor().getFullMethodName(), why);
        Refusal.NOT_PERMITTED.close(call, why);
        super.onCancel();
        return;
      }
      super.onMessage(message);
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        super.onHalfClose();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        super.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        super.onReady();
      }
    }

    @Override
    public void onCancel() {
      // a refused call was already cancelled towards the service
      if (!refused) {
        super.onCancel();
      }
    }
  }

  /** The node id a request names, or null for a message that names none (upload chunks after the header). */
  static String claimedNodeId(Object message) {
    if (message instanceof JoinRequest j) {
      return j.getNodeId();
    }
    if (message instanceof WatchRoundsRequest w) {
      return w.getNodeId();
    }
    if (message instanceof SecureAggregationMessage s) {
      return s.getNodeId();
    }
    if (message instanceof UpdateChunk c && c.hasHeader()) {
      return c.getHeader().getNodeId();
    }
    return null;
  }
}
