import { timeMs, type Task } from '../../tasks/domain/task.model.js';
import { SortedList } from './sorted-list.js';

interface LeaseEntry {
  readonly id: string;
  readonly expiresAt: number;
}

const byExpiry = (a: LeaseEntry, b: LeaseEntry): number =>
  a.expiresAt - b.expiresAt || (a.id === b.id ? 0 : a.id < b.id ? -1 : 1);

/** Claimed tasks by lease expiry, so a sweep touches only the leases that ran out. */
export class LeaseIndex {
  private readonly list = new SortedList<LeaseEntry>(byExpiry);
  private readonly entries = new Map<string, LeaseEntry>();

  add(task: Task): void {
    this.remove(task.id);
    const expiresAt = timeMs(task.lease_expires_at);
    if (expiresAt === null) return;
    const entry = { id: task.id, expiresAt };
    this.list.insert(entry);
    this.entries.set(task.id, entry);
  }

  remove(id: string): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.list.remove(entry);
    this.entries.delete(id);
  }

  /** Ids whose lease ended by `now` (expires_at ≤ now), earliest first. */
  expiredBy(now: number): string[] {
    const ids: string[] = [];
    for (const entry of this.list) {
      if (entry.expiresAt > now) break;
      ids.push(entry.id);
    }
    return ids;
  }

  earliest(): number | null {
    return this.list.first()?.expiresAt ?? null;
  }
}
