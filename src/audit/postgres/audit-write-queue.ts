/**
 * The one writer of a postgres audit store in this process: jobs run one at a time, in the
 * order they were queued. Appends are grouped: those made while a batch is being written (or
 * waiting its turn) join the next batch, which is written in one transaction.
 */
export class AuditWriteQueue<T> {
  private tail: Promise<void> = Promise.resolve();
  private open: T[] | null = null;

  constructor(
    private readonly writeBatch: (batch: readonly T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  /** Adds an item to the batch not yet started (or a new one); `writeBatch` settles it. */
  add(item: T): void {
    if (this.open !== null && this.open.length < this.maxBatch) {
      this.open.push(item);
      return;
    }
    const batch = [item];
    this.open = batch;
    void this.run(async () => {
      // From here on, new items go to the next batch.
      if (this.open === batch) this.open = null;
      await this.writeBatch(batch);
    }).catch(() => undefined);
  }

  /** Runs `work` after every job queued before it, and before any queued after it. */
  run<R>(work: () => Promise<R>): Promise<R> {
    const result = this.tail.then(work);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}
