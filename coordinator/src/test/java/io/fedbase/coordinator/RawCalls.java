package io.fedbase.coordinator;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Calls that send bytes of the client's choosing as a method's request, the way a hostile client can. */
final class RawCalls {

  /** 200 nested groups (field 15), past protobuf's recursion limit of 100. */
  static final byte[] DEEP_GROUPS = new byte[200];

  static {
    Arrays.fill(DEEP_GROUPS, (byte) ((15 << 3) | 3));
  }

  private RawCalls() {}

  /** Sends {@code bytes} as the one request of {@code method} and half-closes; the call's failure. */
  static StatusRuntimeException send(ManagedChannel channel, MethodDescriptor<?, ?> method, byte[] bytes) throws Exception {
    MethodDescriptor<byte[], byte[]> raw =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
            .setFullMethodName(method.getFullMethodName())
            .setRequestMarshaller(RAW)
            .setResponseMarshaller(RAW)
            .build();
    ClientCall<byte[], byte[]> call = channel.newCall(raw, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
    CompletableFuture<StatusRuntimeException> closed = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status.asRuntimeException(trailers));
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(bytes);
    call.halfClose();
    return closed.get(30, TimeUnit.SECONDS);
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

}
