package io.fedbase.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.fedbase.bundle.Bundle;
import io.fedbase.engine.DeviceTransfers;
import io.fedbase.engine.EngineWork;
import io.fedbase.meta.InnerLoopConfig;
import io.fedbase.meta.Relaxation;
import io.fedbase.space.CellType;
import io.fedbase.space.InputSignature;
import io.fedbase.space.TensorNames;
import io.fedbase.supernet.EdgeWeights;
import io.fedbase.supernet.GradMode;
import io.fedbase.supernet.Losses;
import io.fedbase.supernet.ParameterSet;
import io.fedbase.supernet.Supernet;
import io.fedbase.supernet.TaskStack;
import io.fedbase.task.Task;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The posterior adaptations of several tasks run as one (see {@link TaskStack}): T copies of W,
 * each with its own Adam state, minibatches and Gumbel noise drawn from its own seed, stepped
 * together by one forward and one backward per step. After the same steps, task t is where an
 * {@link AdaptationSession} of that task alone would be, up to float rounding (grouped kernels sum
 * in another order). The tasks must share input, ways, and support and query sizes. Used from one
 * thread, like {@link AdaptationSession}.
 */
public final class StackedAdaptationSession implements AutoCloseable {

  private final Supernet supernet;
  private final InnerLoopConfig config;
  private final NDManager manager;
  private final List<Task> tasks;
  private final float tau;
  private final ParameterSet params;
  private final InnerUpdate update;
  private final TaskStackOnDevice support;
  private final StepDraws.Supply draws;
  private final List<NDArray> losses = new ArrayList<>();

  StackedAdaptationSession(Supernet supernet, InnerLoopConfig config, NDManager parent, Bundle prior, List<Task> tasks, float tau, long[] seeds) {
    this.supernet = supernet;
    this.config = config;
    this.tasks = tasks;
    this.tau = tau;
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("a stacked session needs at least one task");
    }
    if (seeds.length != tasks.size()) {
      throw new IllegalArgumentException(tasks.size() + " tasks need as many seeds, got " + seeds.length);
    }
    this.manager = parent.newSubManager();
    try {
      Task first = tasks.get(0);
      InputSignature signature = first.signature();
      for (Task t : tasks) {
        if (!t.signature().equals(signature) || t.ways() != first.ways() || t.supportSize() != first.supportSize() || t.querySize() != first.querySize()) {
          throw new IllegalArgumentException("stacked tasks must share input, ways and set sizes: task " + t.index() + " differs from task " + first.index());
        }
      }
      this.params = ParameterSet.loadStacked(Collections.nCopies(tasks.size(), prior), manager, AdaptationSession.adapted(supernet, config, signature));
      this.update = new InnerUpdate(config, manager);
      this.support =
          TaskStackOnDevice.upload(
              manager, tasks.stream().map(Task::supportImages).toList(), tasks.stream().map(Task::supportLabels).toList(), signature, first.ways());
      List<SplittableRandom> rngs = new ArrayList<>();
      for (long seed : seeds) {
        rngs.add(new SplittableRandom(seed));
      }
      this.draws = new StepDraws.Supply(config, alphaShape(CellType.NORMAL), alphaShape(CellType.REDUCE), rngs, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /** How many tasks this session adapts. */
  public int tasks() {
    return tasks.size();
  }

  /** One inner step of every task; the losses stay on the device until {@link #readBack}. */
  public void advance() {
    EngineWork.step(this::step);
  }

  /** Every task's support loss before each step advanced since the last read, [task][step], in one copy. */
  public double[][] readBack() {
    return EngineWork.run(this::readLosses);
  }

  /** Each task's loss and accuracy on its query set with the deterministic edge weights softmax(alpha / tau). */
  public List<Evaluation> scoreQueries() {
    return EngineWork.run(this::queries);
  }

  /** Each task's current phi, in the tasks' order. */
  public List<Bundle> parameters() {
    return params.toBundles();
  }

  /** One task's [edges, ops] shape of a cell type's logits. */
  private Shape alphaShape(CellType type) {
    Shape stacked = params.get(TensorNames.alpha(type)).getShape();
    return new Shape(stacked.get(0) / tasks.size(), stacked.get(1));
  }

  private Void step() {
    StepDraws.Step draw = draws.next(tasks.get(0).supportSize());
    try (NDManager scope = manager.newSubManager()) {
      params.tempAttachTo(scope);
      support.tempAttachTo(scope);
      draw.attachTo(scope);
      TaskStackOnDevice.Batch batch = draw.batch() == null ? support.all() : support.rows(draw.batch());
      NDArray perTask;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        EdgeWeights mixing = EdgeWeights.sample(config.relaxation(), params, tau, draw.normalNoise(), draw.reduceNoise(), scope);
        NDArray logits = supernet.forwardStacked(params, batch.images(), mixing, scope);
        perTask = Losses.crossEntropyPerTask(logits, batch.oneHot());
        collector.backward(perTask.sum());
      }
      // the loss leaves the scope to be read with the others after the last step
      NDArray loss = perTask.stopGradient();
      loss.attach(manager);
      losses.add(loss);
      update.apply(params);
    }
    return null;
  }

  private double[][] readLosses() {
    int steps = losses.size();
    double[][] out = new double[tasks.size()][steps];
    if (steps == 0) {
      return out;
    }
    try (NDManager scope = manager.newSubManager()) {
      NDList all = new NDList(losses);
      all.forEach(a -> a.attach(scope));
      float[] values = DeviceTransfers.toHost(NDArrays.stack(all));
      for (int k = 0; k < steps; k++) {
        for (int t = 0; t < tasks.size(); t++) {
          out[t][k] = values[k * tasks.size() + t];
        }
      }
      losses.clear();
      return out;
    }
  }

  private List<Evaluation> queries() {
    Task first = tasks.get(0);
    try (NDManager scope = manager.newSubManager();
        GradMode ignored = GradMode.disabled();
        TaskStackOnDevice query =
            TaskStackOnDevice.upload(
                scope, tasks.stream().map(Task::queryImages).toList(), tasks.stream().map(Task::queryLabels).toList(), first.signature(), first.ways())) {
      params.tempAttachTo(scope);
      TaskStackOnDevice.Batch all = query.all();
      NDArray logits = supernet.forwardStacked(params, all.images(), EdgeWeights.sample(Relaxation.SOFTMAX, params, tau, null, null, scope), scope);
      float[] values =
          DeviceTransfers.toHost(NDArrays.stack(new NDList(Losses.crossEntropyPerTask(logits, all.oneHot()), Losses.correct(logits, all.labels()))));
      int n = tasks.size();
      int size = first.querySize();
      List<Evaluation> out = new ArrayList<>(n);
      for (int t = 0; t < n; t++) {
        out.add(new Evaluation(values[t], size == 0 ? 0 : (double) values[n + t] / size, size));
      }
      return out;
    }
  }

  @Override
  public void close() {
    // parameters, optimiser state, support sets, draws and unread losses live in this manager
    manager.close();
  }
}
