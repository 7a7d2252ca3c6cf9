import type pg from 'pg';
import { queryPool } from '../../database/database-pool.js';
import { AuditAnchorStore, type AuditAnchor } from '../anchor/audit-anchor.store.js';
import { anchorCorrupt } from '../anchor/file-audit-anchor.store.js';
import { isSignedCheckpoint } from '../domain/checkpoint.js';

/**
 * The anchor in the `audit_anchors` table: each write inserts a row (one statement, so it is
 * whole or absent), and the newest row is the anchor; older rows stay as history. Kept apart
 * from `audit_entries`, so rewriting the chain alone is not enough to hide a change.
 */
export class PostgresAuditAnchorStore extends AuditAnchorStore {
  readonly location = 'postgres:audit_anchors';

  constructor(private readonly pool: pg.Pool) {
    super();
  }

  async read(): Promise<AuditAnchor | null> {
    const { rows } = await queryPool<{ seq: string; hash: string; checkpoint: string }>(
      this.pool,
      'SELECT seq, hash, checkpoint::text AS checkpoint FROM audit_anchors ORDER BY id DESC LIMIT 1',
    );
    const row = rows[0];
    if (!row) return null;
    let checkpoint: unknown;
    try {
      checkpoint = JSON.parse(row.checkpoint);
    } catch {
      throw anchorCorrupt(this.location, 'its checkpoint is not JSON');
    }
    const seq = Number(row.seq);
    if (!Number.isSafeInteger(seq) || !isSignedCheckpoint(checkpoint)) {
      throw anchorCorrupt(this.location, 'it is not an audit anchor');
    }
    return { seq, hash: row.hash, checkpoint };
  }

  async write(anchor: AuditAnchor): Promise<void> {
    await queryPool(
      this.pool,
      'INSERT INTO audit_anchors (seq, hash, checkpoint) VALUES ($1, $2, $3::json)',
      [anchor.seq, anchor.hash, JSON.stringify(anchor.checkpoint)],
    );
  }
}
