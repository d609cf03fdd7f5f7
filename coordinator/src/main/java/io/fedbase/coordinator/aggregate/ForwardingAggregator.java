package io.fedbase.coordinator.aggregate;

import io.fedbase.bundle.Bundle;
import java.io.IOException;
import java.util.List;

/** An aggregator that passes every call to another; subclasses override what they change. */
public abstract class ForwardingAggregator implements RoundAggregator {

  private final RoundAggregator inner;

  protected ForwardingAggregator(RoundAggregator inner) {
    this.inner = inner;
  }

  /** The aggregator calls are passed to. */
  protected RoundAggregator inner() {
    return inner;
  }

  @Override
  public void merge(StagedUpdate update, float weightScale, float logitScale) throws IOException {
    inner.merge(update, weightScale, logitScale);
  }

  @Override
  public int updates() {
    return inner.updates();
  }

  @Override
  public long tasks() {
    return inner.tasks();
  }

  @Override
  public List<float[]> logitDeltas() {
    return inner.logitDeltas();
  }

  @Override
  public Bundle result() throws IOException {
    return inner.result();
  }

  @Override
  public void close() {
    inner.close();
  }

  @Override
  public String toString() {
    return inner.toString();
  }
}
