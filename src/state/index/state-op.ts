import type { Task } from '../../tasks/domain/task.model.js';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import type { IdempotencyRecord } from '../state.repository.js';

/**
 * An audit entry stored with the change it describes (the audit outbox): written in the same
 * durable record as the change, removed once the audit log holds it. Whatever a crash
 * interrupts, a stored change keeps its entry until the entry is in the log.
 */
export interface OutboxEntry {
  /** Unique per change; the audit entry carries it as `details.change_id`. */
  readonly change_id: string;
  /** When the change was stored (ISO); a recovered entry keeps this time. */
  readonly stored_at: string;
  readonly entry: AuditEntryInput;
}

/**
 * One change to the stored state, as data: the unit the journal records and replays, and
 * (inverted) the unit a failed write is rolled back with. Tasks are stored as full images,
 * so replaying a record is idempotent and does not depend on the state machine's code.
 */
export type StateOp =
  | { readonly op: 'put_task'; readonly task: Task }
  /** Only ever the inverse of creating a task; never journaled. */
  | { readonly op: 'delete_task'; readonly id: string }
  | { readonly op: 'put_revocation'; readonly jti: string; readonly expires_at: number }
  | { readonly op: 'delete_revocation'; readonly jti: string }
  | { readonly op: 'put_idempotency'; readonly record: IdempotencyRecord }
  | { readonly op: 'delete_idempotency'; readonly key: string }
  | { readonly op: 'put_outbox'; readonly entry: OutboxEntry }
  | { readonly op: 'delete_outbox'; readonly change_id: string };

/** The whole state as plain maps: what a snapshot holds. */
export interface StateMaps {
  readonly tasks: Map<string, Task>;
  readonly revocations: Map<string, number>;
  readonly idempotency: Map<string, IdempotencyRecord>;
  /** Audit entries of stored changes not yet known to be in the audit log, oldest first. */
  readonly outbox: Map<string, OutboxEntry>;
}

export function emptyStateMaps(): StateMaps {
  return { tasks: new Map(), revocations: new Map(), idempotency: new Map(), outbox: new Map() };
}

/** Applies `op` to plain maps (no indexes); used for snapshots and backups. */
export function applyToMaps(maps: StateMaps, op: StateOp): void {
  switch (op.op) {
    case 'put_task':
      maps.tasks.set(op.task.id, op.task);
      return;
    case 'delete_task':
      maps.tasks.delete(op.id);
      return;
    case 'put_revocation':
      maps.revocations.set(op.jti, op.expires_at);
      return;
    case 'delete_revocation':
      maps.revocations.delete(op.jti);
      return;
    case 'put_idempotency':
      maps.idempotency.set(op.record.key, op.record);
      return;
    case 'delete_idempotency':
      maps.idempotency.delete(op.key);
      return;
    case 'put_outbox':
      maps.outbox.set(op.entry.change_id, op.entry);
      return;
    case 'delete_outbox':
      maps.outbox.delete(op.change_id);
      return;
  }
}
