package io.fedbase.node.runtime;

import io.fedbase.learn.InnerLoopConfig;
import io.fedbase.task.TaskSpec;
import java.time.Instant;

/** The node's view of its assignment in one round. */
public record RoundTask(
    long round,
    long priorVersion,
    Instant deadline,
    int tasks,
    TaskSpec taskShape,
    InnerLoopConfig inner,
    float tau,
    long seed,
    long firstTask) {}
