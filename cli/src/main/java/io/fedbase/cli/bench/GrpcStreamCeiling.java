package io.fedbase.cli.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.PriorChunk;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * What gRPC-Java itself reaches on this machine: a server that streams chunks already in memory
 * (no file, no coordinator, nothing checked) to a blocking client that only counts them, over
 * Netty on loopback. The transfer benchmark's downloads cannot beat it, so it tells how much of the
 * gap to raw TCP belongs to the transport and how much to fedbase, and which chunk size suits it.
 */
public final class GrpcStreamCeiling {

  private GrpcStreamCeiling() {}

  /** Median seconds to stream {@code bytes} in chunks of {@code chunkBytes} with a per-stream {@code window}. */
  static double seconds(long bytes, int chunkBytes, int window, int warmup, int repeat) throws IOException, InterruptedException {
    byte[] data = new byte[chunkBytes];
    new SplittableRandom(3).nextBytes(data);
    ByteString chunk = UnsafeByteOperations.unsafeWrap(data);
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .flowControlWindow(window)
            .maxInboundMessageSize(chunkBytes + (1 << 20))
            .addService(new Streamer(chunk, bytes))
            .build()
            .start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .usePlaintext()
            .flowControlWindow(window)
            .maxInboundMessageSize(chunkBytes + (1 << 20))
            .build();
    try {
      double[] out = new double[repeat];
      TimedDownloads.run(channel, warmup, out, bytes);
      return BenchStats.median(out);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Streams one prebuilt chunk over and over, only while the transport is ready. */
  private static final class Streamer extends FederationGrpc.FederationImplBase {
    private final ByteString chunk;
    private final long bytes;

    Streamer(ByteString chunk, long bytes) {
      this.chunk = chunk;
      this.bytes = bytes;
    }

    @Override
    public void fetchPrior(FetchPriorRequest request, StreamObserver<PriorChunk> response) {
      ServerCallStreamObserver<PriorChunk> stream = (ServerCallStreamObserver<PriorChunk>) response;
      long[] sent = {0};
      boolean[] done = {false};
      Runnable send =
          () -> {
            synchronized (sent) {
              while (!done[0] && stream.isReady()) {
                if (sent[0] >= bytes) {
                  done[0] = true;
                  stream.onCompleted();
                  return;
                }
                int n = (int) Math.min(chunk.size(), bytes - sent[0]);
                stream.onNext(PriorChunk.newBuilder().setData(n == chunk.size() ? chunk : chunk.substring(0, n)).build());
                sent[0] += n;
              }
            }
          };
      stream.setOnReadyThreshold(2 * chunk.size());
      stream.setOnReadyHandler(send);
      send.run();
    }
  }
}
