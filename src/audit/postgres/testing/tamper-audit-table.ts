import type pg from 'pg';
import { entryHash, serializeEntry } from '../../domain/hash-chain.js';

type Entry = Record<string, unknown> & { seq: number; hash: string; prev_hash: string };

/**
 * What a database user without the signing key can do to the chain (tests only): change the
 * entry at `seq`, recompute every hash and link after it, and move `chain_heads` along, so the
 * hash chain alone is consistent again.
 */
export async function rewriteAuditEntry(
  pool: pg.Pool,
  seq: number,
  change: (entry: Entry) => Entry,
): Promise<void> {
  const { rows } = await pool.query<{ line: string }>(
    'SELECT entry::text AS line FROM audit_entries WHERE seq >= $1 ORDER BY seq',
    [seq - 1],
  );
  const entries = rows.map((r) => JSON.parse(r.line) as Entry);
  let prev = seq === 1 ? null : entries.shift()!.hash;
  let last: Entry | null = null;
  for (const [i, original] of entries.entries()) {
    const entry: Record<string, unknown> = { ...(i === 0 ? change(original) : original) };
    if (prev !== null) entry['prev_hash'] = prev;
    delete entry['hash'];
    const hash = entryHash(entry);
    const line = serializeEntry({ ...entry, hash });
    await pool.query('UPDATE audit_entries SET entry = $2::json, prev_hash = $3, hash = $4 WHERE seq = $1', [
      original.seq,
      line,
      entry['prev_hash'],
      hash,
    ]);
    prev = hash;
    last = { ...(entry as Entry), hash };
  }
  if (last) await pool.query(`UPDATE chain_heads SET hash = $1 WHERE name = 'audit'`, [last.hash]);
}

/** Deletes every entry from `fromSeq` on and moves the head back to the entry before it. */
export async function truncateAuditTable(pool: pg.Pool, fromSeq: number): Promise<void> {
  await pool.query('DELETE FROM audit_entries WHERE seq >= $1', [fromSeq]);
  const { rows } = await pool.query<{ hash: string }>('SELECT hash FROM audit_entries WHERE seq = $1', [
    fromSeq - 1,
  ]);
  await pool.query(`UPDATE chain_heads SET seq = $1, hash = $2 WHERE name = 'audit'`, [
    fromSeq - 1,
    rows[0]!.hash,
  ]);
}
