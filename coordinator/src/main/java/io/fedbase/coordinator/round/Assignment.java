package io.fedbase.coordinator.round;

import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.task.TaskSpec;
import java.time.Instant;
import java.util.List;

/**
 * One node's work in one round: adapt the prior of {@code priorVersion} to tasks {@code firstTask}
 * .. {@code firstTask + tasks - 1} of its own data and upload the mean delta before {@code deadline}.
 */
public record Assignment(
    long round,
    long priorVersion,
    Instant deadline,
    int tasks,
    TaskSpec taskShape,
    InnerLoopConfig inner,
    float tau,
    long seed,
    List<String> participants,
    long firstTask) {

  public Assignment {
    participants = List.copyOf(participants);
  }
}
