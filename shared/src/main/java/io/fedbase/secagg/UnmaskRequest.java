package io.fedbase.secagg;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Round 3 message, coordinator to every survivor: who delivered a masked input and who, having
 * taken part in key sharing, did not.
 *
 * @param round the round
 * @param survivors nodes whose masked inputs are in the sum (U3): their self-mask seeds are asked for
 * @param dropped nodes that shared keys but delivered no input (U2 \ U3): their mask keys are asked for
 */
public record UnmaskRequest(long round, List<String> survivors, List<String> dropped) {

  public UnmaskRequest {
    survivors = List.copyOf(survivors);
    dropped = List.copyOf(dropped);
  }

  /** True when a node is listed both as survivor and as dropped (or twice in one list). */
  public boolean asksTwiceForAnyNode() {
    Set<String> seen = new HashSet<>();
    for (String id : survivors) {
      if (!seen.add(id)) {
        return true;
      }
    }
    for (String id : dropped) {
      if (!seen.add(Objects.requireNonNull(id))) {
        return true;
      }
    }
    return false;
  }
}
