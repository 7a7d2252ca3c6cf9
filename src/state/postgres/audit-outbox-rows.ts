import type pg from 'pg';
import { queryPool } from '../../database/database-pool.js';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import type { OutboxEntry } from '../index/state-op.js';

/** Where the outbox rows of one adapter come from: change ids, the time, this instance. */
export interface OutboxSource {
  readonly changeId: () => string;
  readonly now: () => number;
  readonly instanceId: string | null;
}

/** Stores `entries` in the audit outbox inside the caller's transaction, each with its own change id. */
export async function insertOutbox(
  client: pg.ClientBase,
  source: OutboxSource,
  entries: readonly AuditEntryInput[],
): Promise<void> {
  if (entries.length === 0) return;
  const storedAt = new Date(source.now()).toISOString();
  await client.query(
    `INSERT INTO audit_outbox (change_id, stored_at, instance_id, entry)
     SELECT change_id, $2::timestamptz, $3, entry::json FROM unnest($1::text[], $4::text[]) WITH ORDINALITY AS e(change_id, entry, n) ORDER BY n`,
    [
      entries.map(() => source.changeId()),
      storedAt,
      source.instanceId,
      entries.map((e) => JSON.stringify(e)),
    ],
  );
}

interface OutboxRow {
  readonly change_id: string;
  readonly stored_at: Date;
  readonly entry: AuditEntryInput;
}

/** Committed outbox entries, in the order they were stored. */
export async function readOutbox(pool: pg.Pool): Promise<OutboxEntry[]> {
  const result = await queryPool<OutboxRow>(
    pool,
    'SELECT change_id, stored_at, entry FROM audit_outbox ORDER BY id',
  );
  return result.rows.map((r) => ({
    change_id: r.change_id,
    stored_at: r.stored_at.toISOString(),
    entry: r.entry,
  }));
}
