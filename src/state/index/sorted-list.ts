/**
 * An ordered set kept as a list of small sorted chunks: insert and remove cost a binary search
 * plus a splice within one chunk (≤ 2 × chunkSize), so it stays fast at 100k+ entries where
 * one big sorted array would move the whole tail on every change. `compare` must be a total
 * order (no two distinct entries compare equal).
 */
export class SortedList<T> implements Iterable<T> {
  private readonly chunks: T[][] = [];
  private count = 0;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly chunkSize = 256,
  ) {}

  get size(): number {
    return this.count;
  }

  insert(item: T): void {
    this.count += 1;
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      return;
    }
    const ci = Math.min(this.chunkFor(item), this.chunks.length - 1);
    const chunk = this.chunks[ci]!;
    chunk.splice(this.lowerBound(chunk, item), 0, item);
    if (chunk.length > this.chunkSize * 2) {
      this.chunks.splice(ci, 1, chunk.slice(0, this.chunkSize), chunk.slice(this.chunkSize));
    }
  }

  /** Removes the entry equal to `item`; false when absent. */
  remove(item: T): boolean {
    const ci = this.chunkFor(item);
    const chunk = this.chunks[ci];
    if (chunk === undefined) return false;
    const at = this.lowerBound(chunk, item);
    if (at >= chunk.length || this.compare(chunk[at]!, item) !== 0) return false;
    chunk.splice(at, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.count -= 1;
    return true;
  }

  first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  *[Symbol.iterator](): Iterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Index of the first chunk whose last entry is ≥ item (chunks.length when none). */
  private chunkFor(item: T): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (this.compare(chunk[chunk.length - 1]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private lowerBound(chunk: readonly T[], item: T): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(chunk[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
