import type pg from 'pg';
import { queryPool, withTransaction } from '../../database/database-pool.js';
import type { AuditEntryInput } from '../../audit/domain/audit-entry.js';
import { isoTime } from '../../tasks/domain/task.model.js';
import type { IdempotencyRecord } from '../state.repository.js';
import { insertOutbox, type OutboxSource } from './audit-outbox-rows.js';

/** Rows one prune statement deletes: keeps each delete's locks and WAL burst small. */
const PRUNE_BATCH = 5000;

export async function addRevocation(
  pool: pg.Pool,
  source: OutboxSource,
  jti: string,
  expiresAt: number,
  audit: AuditEntryInput | undefined,
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    // A racing insert of the same jti waits for this one's commit, then inserts nothing.
    const inserted = await client.query(
      'INSERT INTO revocations (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [jti, isoTime(expiresAt)],
    );
    if (!inserted.rowCount) return false;
    if (audit) await insertOutbox(client, source, [audit]);
    return true;
  });
}

export async function isRevoked(pool: pg.Pool, jti: string): Promise<boolean> {
  const result = await queryPool(pool, 'SELECT 1 FROM revocations WHERE jti = $1', [jti]);
  return (result.rowCount ?? 0) > 0;
}

/** Deletes rows of `table` whose `expires_at` ≤ now, in batches; returns how many. */
export async function pruneExpired(
  pool: pg.Pool,
  table: 'revocations' | 'idempotency_keys',
  key: 'jti' | 'key',
  now: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await queryPool(
      pool,
      `DELETE FROM ${table} WHERE ${key} IN (
         SELECT ${key} FROM ${table} WHERE expires_at <= $1 LIMIT ${PRUNE_BATCH} FOR UPDATE SKIP LOCKED)`,
      [isoTime(now)],
    );
    total += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < PRUNE_BATCH) return total;
  }
}

/** Stores the record, replacing any earlier one (a mutation's `remember`). */
export async function putRemembered(client: pg.PoolClient, record: IdempotencyRecord): Promise<void> {
  await client.query(
    `INSERT INTO idempotency_keys (key, response, expires_at) VALUES ($1, $2::json, $3)
     ON CONFLICT (key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at`,
    [record.key, jsonText(record.response), isoTime(record.expires_at)],
  );
}

/** First writer wins: stores `record` unless a record live at `now` holds the key; returns the holder. */
export async function putIdempotencyRecord(
  pool: pg.Pool,
  record: IdempotencyRecord,
  now: number,
): Promise<IdempotencyRecord> {
  for (;;) {
    const stored = await queryPool(
      pool,
      `INSERT INTO idempotency_keys (key, response, expires_at) VALUES ($1, $2::json, $3)
       ON CONFLICT (key) DO UPDATE SET response = EXCLUDED.response, expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= $4
       RETURNING key`,
      [record.key, jsonText(record.response), isoTime(record.expires_at), isoTime(now)],
    );
    if (stored.rowCount === 1) return record;
    const holder = await getIdempotencyRecord(pool, record.key, now);
    // Gone between the two statements (pruned, or expired meanwhile): try again.
    if (holder) return holder;
  }
}

export async function getIdempotencyRecord(
  pool: pg.Pool,
  key: string,
  now: number,
): Promise<IdempotencyRecord | null> {
  const result = await queryPool<{ key: string; response: unknown; expires_at: Date }>(
    pool,
    'SELECT key, response, expires_at FROM idempotency_keys WHERE key = $1 AND expires_at > $2',
    [key, isoTime(now)],
  );
  const row = result.rows[0];
  return row ? { key: row.key, response: row.response, expires_at: row.expires_at.getTime() } : null;
}

/** JSON text of a response; `undefined` (no body) is stored as null. */
function jsonText(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * Takes the `maintenance` row of `name` if its last run is `everyMs` old: one UPDATE, so of any
 * number of racing processes exactly one wins per period (pg-boss gates its maintenance alike).
 */
export async function claimMaintenance(
  pool: pg.Pool,
  name: string,
  everyMs: number,
  now: number,
): Promise<boolean> {
  const result = await queryPool(
    pool,
    `INSERT INTO maintenance AS m (name, last_run) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET last_run = EXCLUDED.last_run WHERE m.last_run <= $3
     RETURNING 1`,
    [name, isoTime(now), isoTime(now - everyMs)],
  );
  return (result.rowCount ?? 0) > 0;
}
