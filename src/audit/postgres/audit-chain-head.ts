import type pg from 'pg';
import { GENESIS_HASH } from '../domain/audit-entry.js';

export const AUDIT_CHAIN = 'audit';

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Locks the chain's head row for this transaction and returns it. The row is created at
 * genesis first if missing (ON CONFLICT DO NOTHING, so two first writers do not collide);
 * the lock then serializes every writer, in this process or any other.
 */
export async function lockChainHead(client: pg.PoolClient, name = AUDIT_CHAIN): Promise<ChainHead> {
  await client.query(
    'INSERT INTO chain_heads (name, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING',
    [name, GENESIS_HASH],
  );
  const { rows } = await client.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM chain_heads WHERE name = $1 FOR UPDATE',
    [name],
  );
  const row = rows[0]!;
  return { seq: Number(row.seq), hash: row.hash };
}

export async function updateChainHead(
  client: pg.PoolClient,
  head: ChainHead,
  name = AUDIT_CHAIN,
): Promise<void> {
  await client.query('UPDATE chain_heads SET seq = $2, hash = $3 WHERE name = $1', [
    name,
    head.seq,
    head.hash,
  ]);
}

/** The head without locking (health, verify): null before the first entry. */
export async function readChainHead(pool: pg.Pool, name = AUDIT_CHAIN): Promise<ChainHead | null> {
  const { rows } = await pool.query<{ seq: string; hash: string }>(
    'SELECT seq, hash FROM chain_heads WHERE name = $1',
    [name],
  );
  const row = rows[0];
  return row && Number(row.seq) > 0 ? { seq: Number(row.seq), hash: row.hash } : null;
}
