package io.fedbase.wire;

/** How the protocol cuts large transfers: a prior download and an upload travel in chunks of at most this size. */
public final class Chunks {

  /** Largest chunk sent or accepted: 1 MiB, well under gRPC's default 4 MiB message limit. */
  public static final int MAX_BYTES = 1 << 20;

  private Chunks() {}
}
