package io.fedbase.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Time a test moves by hand: a {@link Clock} and a {@link ScheduledExecutorService} on the same
 * manual timeline. Work submitted without delay runs at once on one worker thread; delayed and
 * periodic work runs (on that thread, in order of due time) only when {@link #advance} moves the
 * clock past its due time. Deadlines, leases and timeouts are then tested without waiting for them.
 */
public final class ManualTime implements AutoCloseable {

  private final ExecutorService worker =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "manual-time");
            t.setDaemon(true);
            return t;
          });
  private final PriorityQueue<Timed<?>> waiting = new PriorityQueue<>();
  private final Scheduler scheduler = new Scheduler();
  private final Clock clock = new ManualClock();
  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private long sequence;

  public Clock clock() {
    return clock;
  }

  public ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** Moves the clock by {@code d} and starts, in due order, everything that came due. */
  public void advance(Duration d) {
    List<Timed<?>> due = new ArrayList<>();
    synchronized (this) {
      now = now.plus(d);
      while (!waiting.isEmpty() && !waiting.peek().due.isAfter(now)) {
        Timed<?> t = waiting.poll();
        due.add(t);
        if (t.period != null && !t.isCancelled()) {
          // a periodic task is due again one period later, whether or not it ran yet
          Timed<?> next = t.nextRun();
          waiting.add(next);
        }
      }
    }
    due.forEach(t -> worker.execute(t::run));
  }

  /** Waits until the work started so far has run (for checks right after {@link #advance}). */
  public void settle() throws InterruptedException, ExecutionException, TimeoutException {
    worker.submit(() -> {}).get(30, TimeUnit.SECONDS);
  }

  private synchronized Instant now() {
    return now;
  }

  private synchronized <T> Timed<T> schedule(Callable<T> task, long delayNanos, Duration period) {
    Timed<T> t = new Timed<>(task, now.plusNanos(Math.max(0, delayNanos)), period, sequence++);
    if (delayNanos <= 0) {
      worker.execute(t::run);
      if (period != null) {
        waiting.add(t.nextRun());
      }
    } else {
      waiting.add(t);
    }
    return t;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  private final class ManualClock extends Clock {
    @Override
    public Instant instant() {
      return now();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  /** One scheduled run; a periodic task is a chain of them sharing one cancellation. */
  private final class Timed<T> implements ScheduledFuture<T> {
    final Callable<T> task;
    final Instant due;
    final Duration period;
    final long order;
    final CompletableFuture<T> result;
    final boolean[] cancelled;

    Timed(Callable<T> task, Instant due, Duration period, long order) {
      this(task, due, period, order, new CompletableFuture<>(), new boolean[1]);
    }

    private Timed(Callable<T> task, Instant due, Duration period, long order, CompletableFuture<T> result, boolean[] cancelled) {
      this.task = task;
      this.due = due;
      this.period = period;
      this.order = order;
      this.result = result;
      this.cancelled = cancelled;
    }

    Timed<T> nextRun() {
      synchronized (ManualTime.this) {
        return new Timed<>(task, due.plus(period), period, sequence++, result, cancelled);
      }
    }

    void run() {
      synchronized (ManualTime.this) {
        if (cancelled[0]) {
          return;
        }
      }
      try {
        T value = task.call();
        if (period == null) {
          result.complete(value);
        }
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(Duration.between(now(), due));
    }

    @Override
    public int compareTo(Delayed other) {
      Timed<?> o = (Timed<?>) other;
      int c = due.compareTo(o.due);
      return c != 0 ? c : Long.compare(order, o.order);
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      synchronized (ManualTime.this) {
        if (result.isDone()) {
          return false;
        }
        cancelled[0] = true;
        waiting.removeIf(t -> t.cancelled == cancelled);
      }
      return result.cancel(false);
    }

    @Override
    public boolean isCancelled() {
      synchronized (ManualTime.this) {
        return cancelled[0];
      }
    }

    @Override
    public boolean isDone() {
      return result.isDone();
    }

    @Override
    public T get() throws InterruptedException, ExecutionException {
      return result.get();
    }

    @Override
    public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
      return result.get(timeout, unit);
    }
  }

  private final class Scheduler extends AbstractExecutorService implements ScheduledExecutorService {
    @Override
    public void execute(Runnable command) {
      worker.execute(command);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      return ManualTime.this.schedule(Executors.callable(command), unit.toNanos(delay), null);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
      return ManualTime.this.schedule(callable, unit.toNanos(delay), null);
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
      return ManualTime.this.schedule(Executors.callable(command), unit.toNanos(initialDelay), Duration.ofNanos(unit.toNanos(period)));
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
      return scheduleAtFixedRate(command, initialDelay, delay, unit);
    }

    @Override
    public void shutdown() {
      synchronized (ManualTime.this) {
        waiting.clear();
      }
      worker.shutdown();
    }

    @Override
    public List<Runnable> shutdownNow() {
      synchronized (ManualTime.this) {
        waiting.clear();
      }
      return worker.shutdownNow();
    }

    @Override
    public boolean isShutdown() {
      return worker.isShutdown();
    }

    @Override
    public boolean isTerminated() {
      return worker.isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return worker.awaitTermination(timeout, unit);
    }
  }
}
