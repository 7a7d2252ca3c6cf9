/**
 * Captures a stream up to `limit` bytes, keeping its head and its tail: a test run's
 * summary is at the end, its first failure near the start. What falls in between is
 * counted and replaced by a marker. Memory stays bounded whatever the child writes.
 */
export class CappedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(limit: number) {
    this.headLimit = Math.ceil(limit / 2);
    this.tailLimit = Math.floor(limit / 2);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.headLimit - this.headBytes;
    if (room > 0) {
      const part = chunk.subarray(0, room);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    // Drop whole chunks that are no longer needed to hold the last `tailLimit` bytes.
    while (this.tail.length > 1 && this.tailBytes - this.tail[0].length >= this.tailLimit) {
      this.tailBytes -= (this.tail.shift() as Buffer).length;
    }
  }

  /** Bytes received but not kept. */
  get dropped(): number {
    return Math.max(0, this.total - this.headLimit - this.tailLimit);
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail);
    if (this.dropped === 0) return head + tail.toString('utf8');
    const kept = tail.subarray(tail.length - this.tailLimit).toString('utf8');
    return `${head}\n[… ${this.dropped} bytes dropped …]\n${kept}`;
  }
}
