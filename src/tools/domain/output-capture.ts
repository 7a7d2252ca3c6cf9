import { withoutPartialChar } from './text-content.js';

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

  /**
   * The captured text and how many bytes it leaves out. Head and tail are decoded whole, and
   * a character cut by either edge of the gap is dropped with it (and counted), never shown
   * as a replacement character.
   */
  snapshot(): { text: string; dropped: number } {
    const all = Buffer.concat([...this.head, ...this.tail]);
    if (this.total <= this.headLimit + this.tailLimit) return { text: all.toString('utf8'), dropped: 0 };
    const head = withoutPartialChar(Buffer.concat(this.head));
    const tail = withoutLeadingContinuation(all.subarray(all.length - this.tailLimit));
    const dropped = this.total - head.length - tail.length;
    return {
      text: `${head.toString('utf8')}\n[… ${dropped} bytes dropped …]\n${tail.toString('utf8')}`,
      dropped,
    };
  }
}

/** `data` from the first byte that starts a character (skipping at most three continuation bytes). */
function withoutLeadingContinuation(data: Buffer): Buffer {
  let start = 0;
  while (start < data.length && start < 3 && (data[start] & 0xc0) === 0x80) start++;
  return data.subarray(start);
}
