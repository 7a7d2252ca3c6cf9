import type pg from 'pg';
import { asUnavailable } from '../../database/database-pool.js';
import { deepFreeze } from '../../state/index/deep-freeze.js';
import { type AuditEntry } from '../domain/audit-entry.js';
import {
  AuditPageCollector,
  normalizeAuditQuery,
  type AuditPage,
  type AuditQuery,
} from '../domain/audit-query.js';
import { AuditStatsAccumulator, type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { readChainHead, type ChainHead } from './audit-chain-head.js';
import { entryOfLine } from './audit-entry-rows.js';
import { auditQuerySql } from './audit-sql-query.js';

/** Rows per read when stats walk the whole table. */
const SCAN_PAGE = 5000;

/**
 * The read side of the postgres audit log: pages, stats and the outbox's state, straight from
 * the tables (any instance answers the same). A lost connection is 503 `state_unavailable`.
 */

/** One statement; a lost connection becomes `state_unavailable`. */
export async function readRows<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values?: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw asUnavailable(error);
  }
}

/** The chain's head as committed (null before the first entry). */
export async function readCommittedHead(pool: pg.Pool): Promise<ChainHead | null> {
  try {
    return await readChainHead(pool);
  } catch (error) {
    throw asUnavailable(error);
  }
}

/** A page of entries, newest first, as the store's `query`. */
export async function readAuditPage(pool: pg.Pool, query?: AuditQuery): Promise<AuditPage> {
  const collector = new AuditPageCollector(normalizeAuditQuery(query));
  const { where, values } = auditQuerySql(collector.query);
  // One more than the page, so the collector knows whether an older match exists.
  const { rows } = await readRows<{ line: string }>(
    pool,
    `SELECT entry::text AS line FROM audit_entries ${where} ORDER BY seq DESC LIMIT ${collector.query.limit + 1}`,
    values,
  );
  for (const row of rows) if (!collector.offer(deepFreeze(entryOfLine(row.line)))) break;
  return collector.page();
}

/** Totals over the entries of a time range, walking the table a page at a time. */
export async function readAuditStats(pool: pg.Pool, query?: AuditStatsQuery): Promise<AuditStats> {
  const stats = new AuditStatsAccumulator(query);
  const terms: string[] = [];
  const values: unknown[] = [];
  if (stats.since !== null) terms.push(`ts >= $${values.push(stats.since) + 1}`);
  if (stats.until !== null) terms.push(`ts < $${values.push(stats.until) + 1}`);
  await scanEntries(pool, terms.join(' AND '), values, (entry) => stats.add(entry));
  return stats.result();
}

/** The head's seq and how many entries wait unsealed in the outbox. */
export async function readSealingState(pool: pg.Pool): Promise<{ lastSeq: number; unsealed: number }> {
  const { rows } = await readRows<{ seq: string | null; unsealed: string }>(
    pool,
    `SELECT (SELECT seq FROM chain_heads WHERE name = 'audit') AS seq,
            (SELECT count(*) FROM audit_outbox) AS unsealed`,
  );
  return { lastSeq: Number(rows[0]?.seq ?? 0), unsealed: Number(rows[0]?.unsealed ?? 0) };
}

/** Whether an entry stored more than `olderThanMs` ago still waits in the outbox. */
export async function hasStaleOutboxEntry(pool: pg.Pool, olderThanMs: number): Promise<boolean> {
  const { rows } = await readRows<{ stale: boolean }>(
    pool,
    'SELECT EXISTS (SELECT 1 FROM audit_outbox WHERE stored_at < now() - make_interval(secs => $1::float8 / 1000)) AS stale',
    [olderThanMs],
  );
  return rows[0]!.stale;
}

/** Every entry in seq order, optionally filtered (`where` with `$2`… for `values`), a page at a time. */
async function scanEntries(
  pool: pg.Pool,
  where: string,
  values: unknown[],
  each: (entry: AuditEntry) => void,
): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await readRows<{ seq: string; line: string }>(
      pool,
      `SELECT seq, entry::text AS line FROM audit_entries WHERE seq > $1 ${where ? `AND ${where}` : ''}
        ORDER BY seq LIMIT ${SCAN_PAGE}`,
      [after, ...values],
    );
    for (const row of rows) each(entryOfLine(row.line));
    if (rows.length < SCAN_PAGE) return;
    after = Number(rows[rows.length - 1]!.seq);
  }
}
