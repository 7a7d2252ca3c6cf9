import { type EventQuery, type OrchestratorEvent } from './event.model.js';
import { type StreamResync } from './stream-resync.js';

/**
 * The last `capacity` events in id order (a ring), with filtered reads, and what it can
 * resume from: every event with an id above `coveredAfter` is here (or was never issued).
 */
export class EventHistory {
  private readonly buffer: OrchestratorEvent[] = [];
  private coveredAfter = 0;

  constructor(private readonly capacity: number) {}

  add(event: OrchestratorEvent): void {
    this.buffer.push(event);
    if (this.buffer.length <= this.capacity) return;
    const dropped = this.buffer.splice(0, this.buffer.length - this.capacity);
    this.markLostThrough(dropped.at(-1)!.id);
  }

  /** Events up to `id` may have been issued and are not here (e.g. lost at a restart). */
  markLostThrough(id: number): void {
    this.coveredAfter = Math.max(this.coveredAfter, id);
  }

  get lastId(): number {
    return this.buffer.at(-1)?.id ?? 0;
  }

  get oldestId(): number | null {
    return this.buffer[0]?.id ?? null;
  }

  /**
   * Whether a client that saw everything up to `cursor` can be given what it missed, `head`
   * being the newest id issued. Cursor 0 asks for everything kept, so it is always fine.
   */
  resyncFor(cursor: number, head: number): StreamResync | null {
    if (cursor === 0) return null;
    const reason = cursor > head ? 'unknown_id' : cursor < this.coveredAfter ? 'expired' : null;
    return reason && { reason, cursor, oldest_id: this.oldestId, head_id: head };
  }

  /** Oldest first; `after` is exclusive; at most `limit` (default 100). */
  query(q: EventQuery): OrchestratorEvent[] {
    const limit = q.limit ?? 100;
    const out: OrchestratorEvent[] = [];
    for (const event of this.buffer) {
      if (q.after !== undefined && event.id <= q.after) continue;
      if (q.type && event.type !== q.type) continue;
      if (q.task_id && event.task_id !== q.task_id) continue;
      out.push(event);
      if (out.length >= limit) break;
    }
    return out;
  }
}
