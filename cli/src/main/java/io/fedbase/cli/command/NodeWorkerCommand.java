package io.fedbase.cli.command;

import ai.djl.ndarray.NDManager;
import io.fedbase.cli.option.DataOptions;
import io.fedbase.cli.option.DeviceOption;
import io.fedbase.cli.option.SettingFlags;
import io.fedbase.cli.option.TaskStackingOption;
import io.fedbase.cli.option.ThreadsOption;
import io.fedbase.data.ImageDataset;
import io.fedbase.engine.StopRequest;
import io.fedbase.meta.InvalidSettingException;
import io.fedbase.node.runtime.InProcessAdapter;
import io.fedbase.node.runtime.TrainingDevice;
import io.fedbase.node.runtime.TrainingGate;
import io.fedbase.node.worker.WorkerLoop;
import io.fedbase.node.worker.WorkerProtocol;
import io.fedbase.supernet.Devices;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code node-worker}: the child process a node runs its adaptations in (not for direct use). */
@Command(
    name = "node-worker",
    hidden = true,
    description = {
      "The worker process of `fedbase node`; not run by hand.",
      "Reads adaptation requests on standard input and answers on standard output."
    })
public final class NodeWorkerCommand implements Callable<Integer> {

  @Mixin(name = ThreadsOption.MIXIN)
  ThreadsOption threads;

  @Mixin DataOptions data;

  @Mixin DeviceOption device;

  @Mixin TaskStackingOption stacking;

  @Override
  public Integer call() throws Exception {
    // replies own standard output; everything else anyone prints goes to the node's log (stderr)
    PrintStream replies = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    System.setOut(System.err);
    // a node killed with SIGKILL cannot stop its worker: the worker notices and ends its step
    ProcessHandle.current()
        .parent()
        .ifPresent(node -> node.onExit().thenRun(() -> StopRequest.request(new StopRequest.Reason("the node's exit", 143))));
    ImageDataset dataset = data.load();
    Devices.Selected selected;
    try {
      selected = device.select(System.err);
    } catch (InvalidSettingException e) {
      // the node says it, as its own one line, and stops: it cannot serve without this worker
      replies.println(WorkerProtocol.unusableLine(SettingFlags.describe(e)));
      replies.flush();
      return 2;
    }
    try (NDManager manager = NDManager.newBaseManager(selected.device())) {
      new WorkerLoop(new InProcessAdapter(dataset, manager, new TrainingGate(), stacking.value()), TrainingDevice.of(selected))
          .serve(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), replies);
    }
    return 0;
  }
}
