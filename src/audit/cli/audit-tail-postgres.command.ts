import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { processIo, type AuditCliIo } from './audit-cli-io.js';

export interface PostgresTailOptions {
  /** How many of the latest entries to print first (default 10). */
  readonly count?: number;
  /** Keep printing new entries until `signal` aborts. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  /** How often --follow asks for new entries (default 250 ms). */
  readonly pollMs?: number;
  readonly io?: AuditCliIo;
}

/** Entries printed per query while following: a burst is read in pages, not at once. */
const PAGE = 1000;

interface LineRow {
  seq: string;
  line: string;
}

/**
 * `audit tail` on `state.backend: postgres`: the last N entries of `audit_entries`, oldest first,
 * each the JSON line as it was hashed (the `entry` column keeps its text verbatim); `--follow`
 * then prints each newly sealed entry, in seq order. Read-only, on a pool of its own.
 */
export async function runPostgresAuditTail(
  pool: pg.Pool,
  options: PostgresTailOptions = {},
): Promise<number> {
  const io = options.io ?? processIo;
  const latest = await pool.query<LineRow>(
    'SELECT seq, entry::text AS line FROM audit_entries ORDER BY seq DESC LIMIT $1',
    [options.count ?? 10],
  );
  const first = latest.rows.reverse();
  for (const row of first) io.out(row.line);
  if (!options.follow) return 0;
  let last =
    first.length > 0
      ? Number(first.at(-1)!.seq)
      : Number(
          (await pool.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM audit_entries'))
            .rows[0]!.seq,
        );
  while (!options.signal?.aborted) {
    const next = await pool.query<LineRow>(
      `SELECT seq, entry::text AS line FROM audit_entries WHERE seq > $1 ORDER BY seq LIMIT ${PAGE}`,
      [last],
    );
    for (const row of next.rows) io.out(row.line);
    if (next.rows.length > 0) last = Number(next.rows.at(-1)!.seq);
    if (next.rows.length < PAGE) {
      await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
  return 0;
}
