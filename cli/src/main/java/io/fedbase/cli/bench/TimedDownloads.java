package io.fedbase.cli.bench;

import io.fedbase.proto.v1.FederationGrpc;
import io.fedbase.proto.v1.FetchPriorRequest;
import io.fedbase.proto.v1.PriorChunk;
import io.grpc.Channel;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** Prior downloads over a channel, timed the same way for the coordinator and the bare-gRPC ceiling. */
public final class TimedDownloads {

  private TimedDownloads() {}

  /**
   * Runs {@code warmup} untimed downloads, then fills {@code seconds} with one timed download each.
   * Each must bring {@code expectedBytes} of data, or, with 0, any data at all.
   */
  static void run(Channel channel, int warmup, double[] seconds, long expectedBytes) {
    FederationGrpc.FederationBlockingStub stub = FederationGrpc.newBlockingStub(channel);
    for (int r = -warmup; r < seconds.length; r++) {
      long t0 = System.nanoTime();
      long got = 0;
      Iterator<PriorChunk> chunks = stub.withDeadlineAfter(5, TimeUnit.MINUTES).fetchPrior(FetchPriorRequest.getDefaultInstance());
      while (chunks.hasNext()) {
        got += chunks.next().getData().size();
      }
      if (expectedBytes > 0 ? got != expectedBytes : got == 0) {
        throw new IllegalStateException("a download brought " + got + " bytes" + (expectedBytes > 0 ? ", not " + expectedBytes : ""));
      }
      if (r >= 0) {
        seconds[r] = (System.nanoTime() - t0) / 1e9;
      }
    }
  }
}
