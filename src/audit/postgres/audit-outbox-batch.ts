import type pg from 'pg';
import { type OutboxEntry } from '../../state/index/state-op.js';

/** Rows sealed per transaction. */
export const OUTBOX_BATCH = 2000;

/**
 * Removes the oldest outbox rows (up to `OUTBOX_BATCH`) in the caller's transaction and
 * returns them in id order. Call it with the chain head locked: the rows are sealed exactly
 * once because a concurrent sealer's DELETE runs only after this transaction committed.
 */
export async function takeOutboxBatch(
  client: pg.PoolClient,
): Promise<{ items: OutboxEntry[]; more: boolean }> {
  const { rows } = await client.query<{ id: string; change_id: string; stored_at: Date; entry: string }>(
    `DELETE FROM audit_outbox
      WHERE id IN (SELECT id FROM audit_outbox ORDER BY id LIMIT ${OUTBOX_BATCH})
      RETURNING id, change_id, stored_at, entry::text AS entry`,
  );
  // DELETE … RETURNING has no order of its own.
  rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const items = rows.map((row) => ({
    change_id: row.change_id,
    stored_at: row.stored_at.toISOString(),
    entry: JSON.parse(row.entry) as OutboxEntry['entry'],
  }));
  return { items, more: rows.length === OUTBOX_BATCH };
}
