package io.fedbase.node.runtime;

import ai.djl.ndarray.NDManager;
import io.fedbase.bundle.AggregationRule;
import io.fedbase.bundle.Bundle;
import io.fedbase.data.ImageDataset;
import io.fedbase.learn.BatchResult;
import io.fedbase.learn.InnerLoop;
import io.fedbase.learn.TaskBatch;
import io.fedbase.space.SupernetSpec;
import io.fedbase.supernet.Supernet;
import io.fedbase.task.TaskSampler;
import io.fedbase.wire.Assignment;
import java.nio.file.Path;

/**
 * Adapts in this process, taking turns with other in-process nodes through a {@link TrainingGate}
 * (the demo, tests, and the worker process itself).
 */
public final class InProcessAdapter implements Adapter {

  private final ImageDataset data;
  private final NDManager manager;
  private final TrainingGate gate;
  private final int tasksAtOnce;
  private Supernet supernet;

  /**
   * @param manager parent manager (and so device) of every adaptation; owned by the caller
   */
  public InProcessAdapter(ImageDataset data, NDManager manager, TrainingGate gate) {
    this(data, manager, gate, 1);
  }

  /**
   * @param manager parent manager (and so device) of every adaptation; owned by the caller
   * @param tasksAtOnce how many of an assignment's tasks adapt together in one stacked pass
   */
  public InProcessAdapter(ImageDataset data, NDManager manager, TrainingGate gate, int tasksAtOnce) {
    this.data = data;
    this.manager = manager;
    this.gate = gate;
    this.tasksAtOnce = tasksAtOnce;
  }

  @Override
  public BatchResult adapt(SupernetSpec spec, Assignment task, Bundle prior, Path priorFile) throws InterruptedException {
    Supernet net = supernetFor(spec);
    TaskSampler sampler = new TaskSampler(data, task.taskShape(), task.seed());
    InnerLoop loop = new InnerLoop(net, task.inner(), manager).withTasksAtOnce(tasksAtOnce);
    return gate.run(
        () -> new TaskBatch(loop, sampler, AggregationRule.weightedMean()).adapt(prior, task.firstTask(), task.tasks(), task.tau(), task.seed()));
  }

  private synchronized Supernet supernetFor(SupernetSpec spec) {
    if (supernet == null || !supernet.spec().hash().equals(spec.hash())) {
      supernet = new Supernet(spec);
    }
    return supernet;
  }
}
