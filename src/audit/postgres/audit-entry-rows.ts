import type pg from 'pg';
import { type AuditEntry } from '../domain/audit-entry.js';

/** A sealed entry and its written line (the exact text that was hashed). */
export interface SealedRow {
  readonly entry: AuditEntry;
  readonly line: string;
}

/**
 * Inserts sealed entries in one statement (one array parameter per column). `entry` is
 * passed as text and cast to `json`, which keeps the text verbatim.
 */
export async function insertAuditRows(
  client: pg.PoolClient,
  rows: readonly SealedRow[],
  instanceId: string | null,
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (e: AuditEntry) => T) => rows.map((r) => pick(r.entry));
  await client.query(
    `INSERT INTO audit_entries
       (seq, ts, actor, role, action, decision, success, task_id, phase, tool, request_id,
        instance_id, entry, prev_hash, hash)
     SELECT u.seq, u.ts, u.actor, u.role, u.action, u.decision, u.success, u.task_id, u.phase,
            u.tool, u.request_id, $12, u.entry::json, u.prev_hash, u.hash
       FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::boolean[], $8::text[], $9::text[], $10::text[], $11::text[],
                   $13::text[], $14::text[], $15::text[])
         AS u(seq, ts, actor, role, action, decision, success, task_id, phase, tool, request_id,
              entry, prev_hash, hash)`,
    [
      col((e) => e.seq),
      col((e) => e.ts),
      col((e) => e.actor),
      col((e) => e.role),
      col((e) => e.action),
      col((e) => e.decision),
      col((e) => e.success),
      col((e) => e.task_id),
      col((e) => e.phase),
      col((e) => e.tool),
      col((e) => e.request_id),
      instanceId,
      rows.map((r) => r.line),
      col((e) => e.prev_hash),
      col((e) => e.hash),
    ],
  );
}

/** Rows read back: `seq` and the stored line (selected as `entry::text`, never re-encoded). */
export interface StoredLineRow {
  readonly seq: string;
  readonly line: string;
}

/** The entry a stored line holds; the line is the writer's own canonical JSON. */
export function entryOfLine(line: string): AuditEntry {
  return JSON.parse(line) as AuditEntry;
}
