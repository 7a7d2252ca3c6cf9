import { randomUUID } from 'node:crypto';
import { emptyStateMaps, type StateMaps } from '../index/state-op.js';
import type { Task } from '../../tasks/domain/task.model.js';
import type { IdempotencyRecord } from '../state.repository.js';
import { SNAPSHOT_FORMAT, type Snapshot } from './snapshot-file.js';

/**
 * Reads a snapshot written before snapshots carried checksums and a state id (format 1), for
 * `state repair --accept-loss` only: the server never starts on one, since nothing in it can
 * be verified. Null when the bytes are not such a file. The state id is new.
 */
export function parseLegacySnapshot(bytes: Buffer): { version: number; snapshot: Snapshot } | null {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || doc['format'] !== SNAPSHOT_FORMAT) return null;
  if (
    doc['version'] !== 1 ||
    typeof doc['snapshot_id'] !== 'string' ||
    !Number.isSafeInteger(doc['last_seq'])
  )
    return null;
  const maps: StateMaps = emptyStateMaps();
  const list = (field: string): unknown[] => (Array.isArray(doc[field]) ? (doc[field] as unknown[]) : []);
  for (const task of list('tasks')) {
    const t = task as Task;
    if (typeof t?.id === 'string') maps.tasks.set(t.id, t);
  }
  for (const r of list('revocations')) {
    const { jti, expires_at } = r as { jti: unknown; expires_at: unknown };
    if (typeof jti === 'string' && typeof expires_at === 'number') maps.revocations.set(jti, expires_at);
  }
  for (const r of list('idempotency')) {
    const record = r as IdempotencyRecord;
    if (typeof record?.key === 'string') maps.idempotency.set(record.key, record);
  }
  return {
    version: 1,
    snapshot: {
      state_id: randomUUID(),
      snapshot_id: doc['snapshot_id'],
      previous_snapshot_id:
        typeof doc['previous_snapshot_id'] === 'string' ? doc['previous_snapshot_id'] : null,
      last_seq: doc['last_seq'] as number,
      written_at: typeof doc['written_at'] === 'string' ? doc['written_at'] : '',
      maps,
    },
  };
}
