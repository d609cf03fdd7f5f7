package io.fedbase.meta;

/** A value that changes with the meta-round: temperature, meta step sizes. */
public interface Schedule {

  /** The value at round {@code round} (0-based) of {@code totalRounds}. */
  double at(int round, int totalRounds);

  /** A constant. */
  static Schedule constant(double value) {
    return new Schedule() {
      @Override
      public double at(int round, int totalRounds) {
        return value;
      }

      @Override
      public String toString() {
        return Double.toString(value);
      }
    };
  }

  /** Linear from {@code start} at round 0 to {@code end} at the last round. */
  static Schedule linear(double start, double end) {
    return new Schedule() {
      @Override
      public double at(int round, int totalRounds) {
        if (totalRounds <= 1) {
          return start;
        }
        double f = Math.min(1.0, Math.max(0.0, round / (double) (totalRounds - 1)));
        return start + f * (end - start);
      }

      @Override
      public String toString() {
        return start + "->" + end;
      }
    };
  }

  /**
   * Cosine annealing from {@code start} at step 0 to {@code end} after the last step, PyTorch's
   * CosineAnnealingLR with T_max = {@code totalRounds}.
   */
  static Schedule cosine(double start, double end) {
    return new Schedule() {
      @Override
      public double at(int round, int totalRounds) {
        if (totalRounds <= 0) {
          return start;
        }
        double f = Math.min(1.0, Math.max(0.0, round / (double) totalRounds));
        return end + 0.5 * (start - end) * (1 + Math.cos(Math.PI * f));
      }

      @Override
      public String toString() {
        return "cosine " + start + "->" + end;
      }
    };
  }

  /** Parses {@code 0.6} (constant) or {@code 1.0:0.1} (linear from 1.0 to 0.1). */
  static Schedule parse(String text) {
    try {
      String[] parts = text.trim().split(":");
      if (parts.length == 1) {
        return constant(Double.parseDouble(parts[0]));
      }
      if (parts.length == 2) {
        return linear(Double.parseDouble(parts[0]), Double.parseDouble(parts[1]));
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw new IllegalArgumentException("a schedule is VALUE or START:END, got '" + text + "'");
  }
}
