package io.fedbase.coordinator.transport;

import io.fedbase.security.Identity;
import io.fedbase.wire.Refusal;
import io.fedbase.wire.WireText;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a request whose bytes are not a valid message of its type (invalid UTF-8 in a string,
 * a truncated varint, groups nested past protobuf's recursion limit) with INVALID_ARGUMENT
 * ({@link Refusal#MALFORMED}) and one log line.
 *
 * <p>Left to gRPC, a parse failure escapes from the request marshaller: the caller gets UNKNOWN
 * "Application error processing RPC" and the server logs a SEVERE stack trace of some 46 KB per
 * request, so any certificate holder could fill the disk with garbage. Here each method's request
 * marshaller returns a marker instead of throwing, and the method's handler turns the marker into
 * the refusal before the service sees anything. The marker passes only through the interceptors
 * installed on the server builder ({@link AccessControl}), which ignore messages of types they do
 * not know.
 */
public final class UndecodableMessages {

  private static final Logger LOG = LoggerFactory.getLogger(UndecodableMessages.class);

  /** The longest parse error quoted: protobuf's own messages are a sentence. */
  private static final int REASON = 200;

  private UndecodableMessages() {}

  /**
   * {@code service} with every method guarded. The service descriptor is rebuilt around the new
   * method descriptors (gRPC requires the same instances in both) and keeps its schema
   * descriptor, so reflection still lists the service.
   */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor old = service.getServiceDescriptor();
    List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(old.getName()).setSchemaDescriptor(old.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(method);
      methods.add(guarded);
      descriptor.addMethod(guarded.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> guard(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
    MethodDescriptor<Q, R> lenient =
        descriptor.toBuilder(new Lenient<>(descriptor.getRequestMarshaller()), descriptor.getResponseMarshaller()).build();
    return ServerMethodDefinition.create(lenient, new Guard<>(method.getServerCallHandler(), typeName(descriptor)));
  }

  /** The request's message type for the refusal ("fedbase.v1.JoinRequest"), or "request" if unknown. */
  private static String typeName(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p
        && p.getMessagePrototype() instanceof com.google.protobuf.Message m) {
      return m.getDescriptorForType().getFullName();
    }
    return "request";
  }

  /** What a request's bytes parsed to when they are not a message: why, for the refusal. */
  private record Undecodable(String reason) {}

  /** The method's own marshaller, answering an {@link Undecodable} instead of throwing. */
  private static final class Lenient<Q> implements MethodDescriptor.Marshaller<Q> {
    private final MethodDescriptor.Marshaller<Q> strict;

    Lenient(MethodDescriptor.Marshaller<Q> strict) {
      this.strict = strict;
    }

    @Override
    public InputStream stream(Q value) {
      return strict.stream(value);
    }

    @Override
    @SuppressWarnings("unchecked") // the marker never reaches code that expects a Q: Guard takes it out
    public Q parse(InputStream stream) {
      try {
        return strict.parse(stream);
      } catch (RuntimeException e) {
        return (Q) new Undecodable(reasonOf(e));
      }
    }

    /**
     * The first sentence of the innermost message: protobuf's ("Protocol message had invalid
     * UTF-8."), not gRPC's wrapper, and not its advice to the programmer that follows.
     */
    private static String reasonOf(Throwable e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      String message = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
      int sentence = message.indexOf(". ");
      return WireText.line(sentence > 0 ? message.substring(0, sentence + 1) : message, REASON);
    }
  }

  /** The method's handler, ending a call at its first undecodable message. */
  private static final class Guard<Q, R> implements ServerCallHandler<Q, R> {
    private final ServerCallHandler<Q, R> next;
    private final String type;

    Guard(ServerCallHandler<Q, R> next, String type) {
      this.next = next;
      this.type = type;
    }

    @Override
    public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
      OnceClosed<Q, R> once = new OnceClosed<>(call);
      return new Refusing<>(next.startCall(once, headers), once, type);
    }
  }

  /**
   * The call as the service sees it: closed at most once, and after a refusal the service's own
   * late answers (to the cancellation it is told of) are dropped instead of failing with "call
   * already closed".
   */
  private static final class OnceClosed<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private boolean closed;
    private boolean refused;

    OnceClosed(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    /**
     * Takes the call away from the service to refuse it, unless it is closed already; whether it
     * did. From then on only {@link #refuse} closes it.
     */
    synchronized boolean takeOver() {
      if (closed) {
        return false;
      }
      closed = true;
      refused = true;
      return true;
    }

    void refuse(String description) {
      Refusal.MALFORMED.close(delegate(), description);
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (refused) {
        return;
      }
      closed = true;
      super.close(status, trailers);
    }

    @Override
    public synchronized void sendHeaders(Metadata headers) {
      if (!refused) {
        super.sendHeaders(headers);
      }
    }

    @Override
    public synchronized void sendMessage(R message) {
      if (!refused) {
        super.sendMessage(message);
      }
    }
  }

  /** Passes messages on until an undecodable one; then the service hears only that the call was cancelled. */
  private static final class Refusing<Q, R> extends ServerCall.Listener<Q> {
    private final ServerCall.Listener<Q> delegate;
    private final OnceClosed<Q, R> call;
    private final String type;
    private boolean refused;

    Refusing(ServerCall.Listener<Q> delegate, OnceClosed<Q, R> call, String type) {
      this.delegate = delegate;
      this.call = call;
      this.type = type;
    }

    @Override
    public void onMessage(Q message) {
      if (refused) {
        return;
      }
      if (!(message instanceof Undecodable undecodable)) {
        delegate.onMessage(message);
        return;
      }
      // a call something else closed already (the readiness gate, the service) just drops it
      if (!call.takeOver()) {
        return;
      }
      refused = true;
      String method = call.getMethodDescriptor().getBareMethodName();
      Identity caller = AccessControl.CALLER.get();
      LOG.warn(
          "refused an undecodable {} request from {} at {}: {}",
          method,
          caller == null ? "an unauthenticated caller" : "'" + caller.id() + "'",
          PeerAddress.of(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)),
          undecodable.reason());
      call.refuse("the " + method + " request is not a valid " + type + ": " + undecodable.reason());
      // the service may hold something for this call (an upload's slot): it ends as if cancelled
      delegate.onCancel();
    }

    @Override
    public void onHalfClose() {
      if (!refused) {
        delegate.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      if (!refused) {
        delegate.onCancel();
      }
    }

    @Override
    public void onComplete() {
      if (!refused) {
        delegate.onComplete();
      }
    }

    @Override
    public void onReady() {
      if (!refused) {
        delegate.onReady();
      }
    }
  }
}
