import { compareClaimOrder } from '../../tasks/domain/claim-eligibility.js';
import { timeMs, type Task } from '../../tasks/domain/task.model.js';
import { SortedList } from './sorted-list.js';

/** What the queue keeps of a ready task: its claim-order key and its retry time. */
interface ReadyEntry {
  readonly id: string;
  readonly priority: number;
  readonly created_at: string;
  readonly retryAt: number;
}

interface CapabilityGroup {
  readonly capabilities: readonly string[];
  readonly list: SortedList<ReadyEntry>;
}

/**
 * Queued tasks whose dependencies are all completed, grouped by their required capability set
 * and sorted in claim order within each group. Finding the next task for an agent looks only at
 * the head of each group the agent qualifies for (skipping tasks still in retry backoff), so a
 * claim does not scan or sort the whole queue.
 */
export class ReadyQueue {
  private readonly groups = new Map<string, CapabilityGroup>();
  private readonly entries = new Map<string, { readonly group: string; readonly entry: ReadyEntry }>();

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  add(task: Task): void {
    this.remove(task.id);
    const key = task.capabilities.join('\u0000');
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { capabilities: task.capabilities, list: new SortedList<ReadyEntry>(compareClaimOrder) };
      this.groups.set(key, group);
    }
    const entry: ReadyEntry = {
      id: task.id,
      priority: task.priority,
      created_at: task.created_at,
      retryAt: timeMs(task.retry_not_before) ?? 0,
    };
    group.list.insert(entry);
    this.entries.set(task.id, { group: key, entry });
  }

  remove(id: string): void {
    const held = this.entries.get(id);
    if (held === undefined) return;
    const group = this.groups.get(held.group)!;
    group.list.remove(held.entry);
    if (group.list.size === 0) this.groups.delete(held.group);
    this.entries.delete(id);
  }

  /**
   * Id of the next task an agent with `capabilities` may claim at `now`, or null. Tasks `accept`
   * refuses are passed over like tasks in retry backoff.
   */
  next(
    capabilities: ReadonlySet<string>,
    now: number,
    accept: (id: string) => boolean = () => true,
  ): string | null {
    let best: ReadyEntry | null = null;
    for (const group of this.groups.values()) {
      if (!group.capabilities.every((c) => capabilities.has(c))) continue;
      for (const entry of group.list) {
        if (best !== null && compareClaimOrder(entry, best) > 0) break;
        if (entry.retryAt <= now && accept(entry.id)) {
          best = entry;
          break;
        }
      }
    }
    return best?.id ?? null;
  }
}
