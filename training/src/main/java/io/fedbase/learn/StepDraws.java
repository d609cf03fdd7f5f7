package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.supernet.RelaxationSampling;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The random draws of a run of inner steps — each step's minibatch rows and its Gumbel noise for
 * the normal and the reduction cell — drawn on the host in exactly the order the steps would draw
 * them one by one (so a seed gives the same adaptation as ever), and copied to the device in one go
 * per kind instead of once per step.
 */
final class StepDraws implements AutoCloseable {

  /** One step's draws, views into the run's arrays; {@code batch} is null when a step takes the whole set, the noise for plain softmax. */
  record Step(NDArray batch, NDArray normalNoise, NDArray reduceNoise) {

    /** Hands the views to a step's scope, which frees them. */
    void attachTo(NDManager scope) {
      for (NDArray a : new NDArray[] {batch, normalNoise, reduceNoise}) {
        if (a != null) {
          a.attach(scope);
        }
      }
    }
  }

  /**
   * The draws of a session's steps, one chunk of K steps at a time: a chunk is drawn and copied
   * when the last one is used up (or the support set's size changed), and freed with the next.
   */
  static final class Supply {

    private final InnerLoopConfig config;
    private final Shape normal;
    private final Shape reduce;
    private final List<SplittableRandom> rngs;
    private final NDManager manager;
    private StepDraws chunk;

    /**
     * @param normal one task's shape of the normal cell's logits
     * @param reduce one task's shape of the reduction cell's logits
     * @param rngs one generator per task, in stacking order
     * @param manager owner of the chunks on the device
     */
    Supply(InnerLoopConfig config, Shape normal, Shape reduce, List<SplittableRandom> rngs, NDManager manager) {
      this.config = config;
      this.normal = normal;
      this.reduce = reduce;
      this.rngs = rngs;
      this.manager = manager;
    }

    /** The next step's draws for support sets of {@code supportSize} examples. */
    Step next(int supportSize) {
      if (chunk == null || !chunk.hasNext(supportSize)) {
        if (chunk != null) {
          chunk.close();
        }
        chunk = draw(config.relaxation(), config.batchSize(), supportSize, Math.max(1, config.steps()), normal, reduce, rngs, manager);
      }
      return chunk.next();
    }
  }

  private final int supportSize;
  private final int steps;
  private final NDArray batches;
  private final NDArray normalNoise;
  private final NDArray reduceNoise;
  private int next;

  private StepDraws(int supportSize, int steps, NDArray batches, NDArray normalNoise, NDArray reduceNoise) {
    this.supportSize = supportSize;
    this.steps = steps;
    this.batches = batches;
    this.normalNoise = normalNoise;
    this.reduceNoise = reduceNoise;
  }

  /**
   * Draws {@code steps} steps: per step, {@code batchSize} rows out of {@code supportSize} (none
   * when it is 0: the whole set), then Gumbel noise of the normal and the reduction logits' shapes
   * unless {@code relaxation} is plain softmax.
   */
  static StepDraws draw(
      Relaxation relaxation, int batchSize, int supportSize, int steps, Shape normal, Shape reduce, SplittableRandom rng, NDManager manager) {
    return draw(relaxation, batchSize, supportSize, steps, normal, reduce, List.of(rng), manager);
  }

  /**
   * As above for several tasks stacked, each drawing from its own generator exactly what it would
   * draw alone. Per step the rows are task by task, task t's offset by t * {@code supportSize} (rows
   * of the tasks' support sets laid end to end), and the noise is [tasks * edges, ops], task by task.
   */
  static StepDraws draw(
      Relaxation relaxation, int batchSize, int supportSize, int steps, Shape normal, Shape reduce, List<SplittableRandom> rngs, NDManager manager) {
    boolean noisy = relaxation != Relaxation.SOFTMAX;
    int tasks = rngs.size();
    int normalSize = (int) normal.size();
    int reduceSize = (int) reduce.size();
    int[] rows = batchSize > 0 ? new int[steps * tasks * batchSize] : null;
    float[] normalValues = noisy ? new float[steps * tasks * normalSize] : null;
    float[] reduceValues = noisy ? new float[steps * tasks * reduceSize] : null;
    for (int t = 0; t < tasks; t++) {
      SplittableRandom rng = rngs.get(t);
      for (int k = 0; k < steps; k++) {
        int slot = k * tasks + t;
        for (int i = 0; rows != null && i < batchSize; i++) {
          rows[slot * batchSize + i] = t * supportSize + rng.nextInt(supportSize);
        }
        if (noisy) {
          System.arraycopy(RelaxationSampling.gumbelNoise(normalSize, rng), 0, normalValues, slot * normalSize, normalSize);
          System.arraycopy(RelaxationSampling.gumbelNoise(reduceSize, rng), 0, reduceValues, slot * reduceSize, reduceSize);
        }
      }
    }
    return new StepDraws(
        supportSize,
        steps,
        rows == null ? null : DeviceTransfers.toDevice(manager, rows, new Shape(steps, tasks * batchSize)),
        noisy ? DeviceTransfers.toDevice(manager, normalValues, new Shape(steps, tasks * normal.get(0), normal.get(1))) : null,
        noisy ? DeviceTransfers.toDevice(manager, reduceValues, new Shape(steps, tasks * reduce.get(0), reduce.get(1))) : null);
  }

  /** Whether a step on a support set of {@code size} examples can take the next draws. */
  boolean hasNext(int size) {
    return next < steps && size == supportSize;
  }

  Step next() {
    int k = next++;
    return new Step(slice(batches, k), slice(normalNoise, k), slice(reduceNoise, k));
  }

  private static NDArray slice(NDArray all, int k) {
    return all == null ? null : all.get(k);
  }

  @Override
  public void close() {
    for (NDArray a : new NDArray[] {batches, normalNoise, reduceNoise}) {
      if (a != null) {
        a.close();
      }
    }
  }
}
