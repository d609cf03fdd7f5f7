package io.fedbase.secagg;

import io.fedbase.security.Identity;
import io.fedbase.space.Digests;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;

/**
 * What every party of one secure-aggregation round must agree on, taken from the round
 * assignment. Participants are kept sorted: that order fixes each node's Shamir x-coordinate
 * (index + 1) and the sign of every pairwise mask.
 *
 * <p>The threshold rule: {@code n/2 < threshold <= n}. The coordinator needs {@code threshold}
 * shares of a node's self-mask seed to unmask its input, and {@code threshold} shares of its mask
 * key to cancel the masks of a dropped node; each honest holder reveals at most one of the two
 * for any node, so with more than half the participants required the coordinator cannot collect
 * both for anyone — even by telling different nodes different stories about who dropped, which
 * is why this implementation needs no extra consistency round. Against a coordinator colluding
 * with {@code c} nodes (which reveal both) the rule is {@code 2·threshold > n + c}; e.g.
 * {@code threshold = floor(2n/3) + 1} covers {@code c < n/3}.
 *
 * @param round the round number; the coordinator never reuses one
 * @param participants node ids selected for the round (sorted and de-duplicated here)
 * @param threshold how many nodes must remain at every step, and shares needed to reconstruct
 * @param vectorLength number of float32 values in each node's delta
 * @param clip the L2 (hence per-coordinate) bound every delta is clipped to
 */
public record RoundConfig(long round, List<String> participants, int threshold, int vectorLength, float clip) {

  public RoundConfig {
    if (round < 0) {
      throw new IllegalArgumentException("negative round " + round);
    }
    TreeSet<String> sorted = new TreeSet<>();
    for (String id : participants) {
      Identity.requireValidId(id);
      if (!sorted.add(id)) {
        throw new IllegalArgumentException("participant '" + id + "' is listed twice");
      }
    }
    participants = List.copyOf(sorted);
    int n = participants.size();
    if (n < 2) {
      throw new IllegalArgumentException("secure aggregation needs at least 2 participants, got " + n);
    }
    if (threshold <= n / 2 || threshold > n) {
      throw new IllegalArgumentException(
          "the threshold must be more than half the participants and at most all of them: " + (n / 2 + 1) + ".." + n + ", got " + threshold);
    }
    if (vectorLength < 1) {
      throw new IllegalArgumentException("the vector length must be positive, got " + vectorLength);
    }
    FixedPointRing.forBound(clip, n); // validates the clip
  }

  /** The smallest threshold the rule allows for {@code n} participants (a strict majority). */
  public static int minimumThreshold(int n) {
    return n / 2 + 1;
  }

  public int size() {
    return participants.size();
  }

  public boolean isParticipant(String id) {
    return indexOf(id) >= 0;
  }

  /** The Shamir x-coordinate of a participant: its 1-based position in the sorted list. */
  public int shareIndex(String id) {
    int i = indexOf(id);
    if (i < 0) {
      throw new IllegalArgumentException("'" + id + "' is not a participant of round " + round);
    }
    return i + 1;
  }

  /** The encoding every participant uses: sums of up to {@code size()} vectors cannot overflow. */
  public FixedPointRing ring() {
    return FixedPointRing.forBound(clip, participants.size());
  }

  /**
   * SHA-256 over the participant list, threshold, vector length and clip — what a node signs so
   * that nodes shown different rounds by the coordinator refuse each other's keys. The round
   * number is signed separately, so a replay reads as a wrong round.
   */
  public byte[] hash() {
    Encoder e = new Encoder("fedbase/secagg/v1/config").u32(participants.size());
    for (String id : participants) {
      e.string(id);
    }
    e.u32(threshold).u32(vectorLength).u32(Float.floatToIntBits(clip));
    return Digests.sha256().digest(e.toByteArray());
  }

  private int indexOf(String id) {
    int i = Collections.binarySearch(participants, id);
    return i >= 0 ? i : -1;
  }
}
