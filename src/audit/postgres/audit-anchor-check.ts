import type pg from 'pg';
import { type AuditAnchor } from '../anchor/audit-anchor.store.js';
import { readChainHead } from './audit-chain-head.js';
import { lastCheckpointSeq } from './audit-chain-signing.js';

/**
 * What start-up must not sign over (the postgres twin of `file/anchor-loss.ts`): the chain ends
 * before the anchored checkpoint (rows deleted and the head moved back), the row at the anchored
 * seq is not that checkpoint (the chain rewritten up to it), or the anchor is gone while the chain
 * holds checkpoints. Returns the problem, or null when chain and anchor agree.
 */
export async function findTableAnchorLoss(
  pool: pg.Pool,
  anchor: AuditAnchor | null,
  location: string,
): Promise<string | null> {
  const headSeq = (await readChainHead(pool))?.seq ?? 0;
  if (anchor && anchor.seq > headSeq) {
    return `audit_entries ends at seq ${headSeq}, but checkpoint seq ${anchor.seq} is anchored in ${location}: entries were deleted or the chain was replaced`;
  }
  if (anchor) {
    const { rows } = await pool.query<{ hash: string }>('SELECT hash FROM audit_entries WHERE seq = $1', [
      anchor.seq,
    ]);
    if (rows[0]?.hash !== anchor.hash) {
      return `seq ${anchor.seq} in audit_entries is not the checkpoint anchored in ${location}: the chain was rewritten up to it`;
    }
    return null;
  }
  if ((await lastCheckpointSeq(pool)) > 0) {
    return `audit_entries holds signed checkpoints, but no anchor is recorded in ${location}: the anchor was deleted`;
  }
  return null;
}
