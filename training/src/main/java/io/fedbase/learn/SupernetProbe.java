package io.fedbase.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fedbase.bundle.Bundle;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.engine.EngineWork;
import io.fedbase.genotype.Genotype;
import io.fedbase.space.CellType;
import io.fedbase.space.EdgeIndex;
import io.fedbase.space.InputSignature;
import io.fedbase.space.Operation;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.EdgeWeights;
import io.fedbase.supernet.GradMode;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.Scalars;
import io.fedbase.supernet.Supernet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores architectures inside one trained supernet, weight sharing's proxy for training them alone:
 * a genotype's score is the supernet's accuracy on a labelled set when every edge carries only the
 * genotype's operations (weight 1) and nothing else (weight 0). The parameters and the set go to the
 * device once; the set is scored in chunks whose batch statistics normalise BN, as the supernet
 * always normalises.
 */
public final class SupernetProbe implements AutoCloseable {

  private final Supernet supernet;
  private final NDManager manager;
  private final ParameterSet params;
  private final List<TaskOnDevice> chunks = new ArrayList<>();
  private final int examples;

  /**
   * @param adapted the supernet's parameters (adapted to this set's classes)
   * @param images the labelled set's images, CHW each, concatenated
   * @param chunk images per forward (BN statistics are per chunk)
   */
  public SupernetProbe(Supernet supernet, Bundle adapted, float[] images, int[] labels, InputSignature signature, int ways, int chunk, NDManager parent) {
    this.supernet = supernet;
    this.manager = parent.newSubManager();
    this.examples = labels.length;
    try {
      this.params = ParameterSet.load(adapted, manager, t -> false);
      for (int from = 0; from < labels.length; from += chunk) {
        int to = Math.min(labels.length, from + chunk);
        float[] x = Arrays.copyOfRange(images, from * signature.size(), to * signature.size());
        chunks.add(TaskOnDevice.upload(manager, x, Arrays.copyOfRange(labels, from, to), signature, ways));
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** The supernet's accuracy on the set with only {@code genotype}'s operations switched on. */
  public Evaluation score(Genotype genotype) {
    SupernetSpec spec = supernet.spec();
    return score(edgeWeightsOf(genotype, spec, CellType.NORMAL), edgeWeightsOf(genotype, spec, CellType.REDUCE));
  }

  /** The supernet's loss and accuracy on the set with the edge weights given, [edges × ops] row-major per cell type. */
  public Evaluation score(float[] normal, float[] reduce) {
    return EngineWork.run(
        () -> {
          double loss = 0;
          double correct = 0;
          try (NDManager scope = manager.newSubManager();
              GradMode ignored = GradMode.disabled()) {
            params.tempAttachTo(scope);
            int ops = supernet.spec().operations().size();
            Shape shape = new Shape(supernet.spec().edges(), ops);
            EdgeWeights mixing = new EdgeWeights(DeviceTransfers.toDevice(scope, normal, shape), DeviceTransfers.toDevice(scope, reduce, shape));
            NDList perChunk = new NDList();
            for (TaskOnDevice c : chunks) {
              c.tempAttachTo(scope);
              NDArray logits = supernet.forward(params, c.images(), mixing, scope);
              // the chunk's summed loss and correct count, so chunks of any size weigh by their size
              perChunk.add(Losses.crossEntropy(logits, c.oneHot()).mul(Scalars.of(scope, c.sourceLabels().length)));
              perChunk.add(Losses.correct(logits, c.labels()));
            }
            float[] values = DeviceTransfers.toHost(NDArrays.stack(perChunk));
            for (int i = 0; i < values.length; i += 2) {
              loss += values[i];
              correct += values[i + 1];
            }
          }
          return new Evaluation(loss / examples, correct / examples, examples);
        });
  }

  /** One cell type's [edges × ops] weights: 1 for each of the genotype's (edge, operation) choices, 0 elsewhere. */
  public static float[] edgeWeightsOf(Genotype genotype, SupernetSpec spec, CellType type) {
    List<Operation> ops = spec.operations();
    if (genotype.nodes() != spec.nodes()) {
      throw new IllegalArgumentException("a genotype of " + genotype.nodes() + " nodes does not fit a supernet of " + spec.nodes());
    }
    float[] w = new float[spec.edges() * ops.size()];
    List<Genotype.Choice> choices = genotype.cell(type);
    for (int i = 0; i < choices.size(); i++) {
      Genotype.Choice c = choices.get(i);
      int op = ops.indexOf(c.op());
      if (op < 0) {
        throw new IllegalArgumentException("the supernet has no operation " + c.op().dartsName());
      }
      w[EdgeIndex.of(i / 2, c.input()) * ops.size() + op] = 1f;
    }
    return w;
  }

  @Override
  public void close() {
    manager.close();
  }
}
