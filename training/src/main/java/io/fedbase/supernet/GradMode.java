package io.fedbase.supernet;

import ai.djl.pytorch.jni.JniUtils;

/**
 * PyTorch's autograd switch, which is per thread: evaluation turns it off so no graph is recorded,
 * and restores the previous state afterwards. The engine only turns it off on the thread that
 * loaded it, so every other thread must ask.
 */
public final class GradMode implements AutoCloseable {

  private final boolean previous;

  private GradMode(boolean enabled) {
    this.previous = JniUtils.isGradMode();
    JniUtils.setGradMode(enabled);
  }

  /** Disables gradient recording on this thread until closed. */
  public static GradMode disabled() {
    return new GradMode(false);
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
