import { type AuditRow, type HistoryEntry, type StoredEvent, type TaskDetail } from './reads.js';

/** The audit action each history action is recorded as. */
const AUDIT_ACTION: Record<string, string> = {
  created: 'task.create',
  claimed: 'task.claim',
  transitioned: 'task.transition',
  released: 'task.release',
  failed: 'task.fail',
  lease_expired: 'task.lease_expired',
  completed: 'task.complete',
  cancelled: 'task.cancel',
  requeued: 'task.requeue',
};

/** The event each history entry is announced by (an attempt that ended the task: `task.failed`). */
function eventType(entry: HistoryEntry): string {
  switch (entry.action) {
    case 'released':
      return entry.to_status === 'failed' ? 'task.failed' : 'task.released';
    case 'lease_expired':
      return entry.to_status === 'failed' ? 'task.failed' : 'task.lease_expired';
    default:
      return `task.${entry.action}`;
  }
}

/** Events that announce a change of the task (the suite's workflow has no gates). */
const CHANGE_EVENTS = new Set([
  'task.created',
  'task.claimed',
  'task.resumed',
  'task.transitioned',
  'task.released',
  'task.failed',
  'task.lease_expired',
  'task.completed',
  'task.cancelled',
  'task.requeued',
]);

export interface Mismatch {
  readonly task_id: string;
  readonly history: string[];
  readonly audit: string[];
  readonly events: string[];
}

/**
 * For every task: its history, its audit entries (in seq order) and its events (in id order)
 * say the same changes in the same order, one each. Resumes are audited and announced but add
 * no history line: they are left out of the comparison, and counted apart.
 */
export function historyAuditEvents(
  tasks: readonly TaskDetail[],
  audit: readonly AuditRow[],
  /** Null: compare history and audit only (events an instance numbered before it was killed are not served). */
  events: readonly StoredEvent[] | null,
): Mismatch[] {
  const auditOf = groupBy(
    audit.filter((e) => e.task_id !== null && e.action !== 'task.resume'),
    (e) => e.task_id!,
  );
  const eventsOf = groupBy(
    (events ?? []).filter(
      (e) => e.task_id !== undefined && CHANGE_EVENTS.has(e.type) && e.type !== 'task.resumed',
    ),
    (e) => e.task_id!,
  );
  const mismatches: Mismatch[] = [];
  for (const task of tasks) {
    const history = task.history.map((h) => AUDIT_ACTION[h.action] ?? `?${h.action}`);
    const audited = (auditOf.get(task.id) ?? []).map((e) =>
      e.action === 'task.transition' && e.decision !== 'allowed' ? `${e.action}:${e.decision}` : e.action,
    );
    const expectedEvents = task.history.map(eventType);
    const announced = (eventsOf.get(task.id) ?? []).map((e) => e.type);
    const eventsDiffer = events !== null && expectedEvents.join() !== announced.join();
    if (history.join() !== audited.join() || eventsDiffer) {
      mismatches.push({ task_id: task.id, history, audit: audited, events: announced });
    }
  }
  return mismatches;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

/** The events several instances served, merged by id; an id served twice must be the same event. */
export function mergeEvents(perInstance: readonly (readonly StoredEvent[])[]): {
  events: StoredEvent[];
  conflicts: number[];
} {
  const byId = new Map<number, StoredEvent>();
  const conflicts: number[] = [];
  for (const list of perInstance) {
    for (const event of list) {
      const known = byId.get(event.id);
      if (known && JSON.stringify(known) !== JSON.stringify(event)) conflicts.push(event.id);
      byId.set(event.id, event);
    }
  }
  return { events: [...byId.values()].sort((a, b) => a.id - b.id), conflicts };
}

/** Ids missing between the first and the last: a gap-free sequence has none. */
export function gapsIn(ids: readonly number[]): number[] {
  const gaps: number[] = [];
  for (let i = 1; i < ids.length; i++) for (let id = ids[i - 1]! + 1; id < ids[i]!; id++) gaps.push(id);
  return gaps;
}
