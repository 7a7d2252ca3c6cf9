import { type EventQuery, type OrchestratorEvent } from './event.model.js';

/** The last `capacity` events in id order (a ring), with filtered reads. */
export class EventHistory {
  private readonly buffer: OrchestratorEvent[] = [];

  constructor(private readonly capacity: number) {}

  add(event: OrchestratorEvent): void {
    this.buffer.push(event);
    if (this.buffer.length > this.capacity) this.buffer.splice(0, this.buffer.length - this.capacity);
  }

  get lastId(): number {
    return this.buffer.at(-1)?.id ?? 0;
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
