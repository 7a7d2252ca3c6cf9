interface Waiter<R> {
  readonly record: R;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Exclusive {
  readonly run: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: records submitted while a write is in flight, or within the same turn of the
 * event loop, are written together by one `write` call (one write + one fdatasync), and each
 * submitter's promise settles when its batch is durable.
 *
 * Records after a failed batch were computed on top of it, so they fail with it: `onFailure`
 * receives the failed batch and everything queued behind it, in submission order, before
 * any later record is accepted into a batch.
 *
 * `exclusive` runs a task (a checkpoint) between batches, never during one.
 */
export class GroupCommit<R> {
  private queue: Waiter<R>[] = [];
  private inFlight: readonly Waiter<R>[] = [];
  private readonly exclusives: Exclusive[] = [];
  private running = false;
  private scheduled = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly write: (batch: readonly R[]) => Promise<void>,
    private readonly onFailure: (failed: readonly R[], error: unknown) => unknown,
  ) {}

  submit(record: R): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.schedule();
    });
  }

  exclusive<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.exclusives.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Records not yet durable (the batch being written, then the queue), oldest first. */
  pending(): R[] {
    return [...this.inFlight, ...this.queue].map((w) => w.record);
  }

  /** Resolves once everything submitted so far has been written (or failed). */
  drain(): Promise<void> {
    if (!this.running && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: lets every request handled in this turn join the batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.exclusives.length > 0 || this.queue.length > 0) {
        const exclusive = this.exclusives.shift();
        if (exclusive) {
          await exclusive.run().then(exclusive.resolve, exclusive.reject);
          continue;
        }
        const batch = this.queue;
        this.queue = [];
        this.inFlight = batch;
        try {
          await this.write(batch.map((w) => w.record));
          this.inFlight = [];
          for (const waiter of batch) waiter.resolve();
        } catch (error) {
          const failed = [...batch, ...this.queue];
          this.inFlight = [];
          this.queue = [];
          this.onFailure(
            failed.map((w) => w.record),
            error,
          );
          for (const waiter of failed) waiter.reject(error);
        }
      }
    } finally {
      this.running = false;
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
    }
  }
}
