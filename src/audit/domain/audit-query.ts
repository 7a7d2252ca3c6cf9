import { InvalidInputError } from '../../common/domain/domain-error.js';
import { type AuditEntry } from './audit-entry.js';

/** Filters of `GET /api/v1/audit/query`. All optional; results are newest first. */
export interface AuditQuery {
  readonly task_id?: string;
  readonly phase?: string;
  /** Matches the entry's `tool`. */
  readonly tool_name?: string;
  /** Exact action, or a prefix ending in `.*` (`task.*`). */
  readonly action?: string;
  /** Exact decision: `allowed`, `denied`, `blocked`, `error`, `n/a`, … */
  readonly decision?: string;
  /** Exact actor (the token subject, `system`, `anonymous`). */
  readonly actor?: string;
  /** Exact role (`agent`, `operator`, `admin`, `system`). */
  readonly role?: string;
  readonly success?: boolean;
  /** ISO time, inclusive. */
  readonly since?: string;
  /** ISO time, exclusive. */
  readonly until?: string;
  /** Page size: default 100, at most 1000 (larger values are clamped). */
  readonly limit?: number;
  /** `next_cursor` of the previous page: continues with older entries. */
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: readonly AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  readonly next_cursor: string | null;
}

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 1000;
export const DEFAULT_RECENT_COUNT = 20;
/** How far before `since` a backward scan of one writer's log reads on (see `endsScan`). */
export const SINCE_SCAN_SLACK_MS = 5 * 60_000;

/** A validated query: times as ISO strings comparable with `ts`, the cursor as a seq bound. */
export interface NormalizedAuditQuery {
  readonly task_id: string | null;
  readonly phase: string | null;
  readonly tool: string | null;
  readonly action: string | null;
  readonly actionPrefix: string | null;
  readonly decision: string | null;
  readonly actor: string | null;
  readonly role: string | null;
  readonly success: boolean | null;
  readonly since: string | null;
  readonly until: string | null;
  readonly limit: number;
  /** Only entries with a smaller seq (from the cursor). */
  readonly beforeSeq: number | null;
}

export function normalizeAuditQuery(query: AuditQuery = {}): NormalizedAuditQuery {
  const action = query.action ?? null;
  return {
    task_id: query.task_id ?? null,
    phase: query.phase ?? null,
    tool: query.tool_name ?? null,
    action: action !== null && !action.endsWith('.*') ? action : null,
    actionPrefix: action !== null && action.endsWith('.*') ? action.slice(0, -1) : null,
    decision: query.decision ?? null,
    actor: query.actor ?? null,
    role: query.role ?? null,
    success: query.success ?? null,
    since: isoBound(query.since, 'since'),
    until: isoBound(query.until, 'until'),
    limit: pageSize(query.limit, DEFAULT_QUERY_LIMIT, 'limit'),
    beforeSeq: parseCursor(query.cursor),
  };
}

/** `count` of `recent(count)`: default 20, 1…1000 (clamped above). */
export function recentCount(count: number | undefined): number {
  return pageSize(count, DEFAULT_RECENT_COUNT, 'count');
}

function pageSize(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidInputError('invalid_audit_query', `${name} must be a positive integer, got ${value}`);
  }
  return Math.min(value, MAX_QUERY_LIMIT);
}

const ISO_LIKE = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Entry `ts` values are `toISOString()` output, so bounds in the same form compare as strings. */
export function isoBound(value: string | undefined, name: string): string | null {
  if (value === undefined) return null;
  const ms = ISO_LIKE.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidInputError(
      'invalid_audit_query',
      `${name} must be an ISO 8601 time like 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`,
    );
  }
  return new Date(ms).toISOString();
}

function parseCursor(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  const seq = /^\d{1,15}$/.test(cursor) ? Number(cursor) : Number.NaN;
  if (!Number.isSafeInteger(seq) || seq < 1) {
    throw new InvalidInputError(
      'invalid_audit_cursor',
      `cursor ${JSON.stringify(cursor)} is not one this API returned`,
    );
  }
  return seq;
}

export function matchesAuditQuery(entry: AuditEntry, q: NormalizedAuditQuery): boolean {
  return (
    (q.beforeSeq === null || entry.seq < q.beforeSeq) &&
    (q.task_id === null || entry.task_id === q.task_id) &&
    (q.phase === null || entry.phase === q.phase) &&
    (q.tool === null || entry.tool === q.tool) &&
    (q.action === null || entry.action === q.action) &&
    (q.actionPrefix === null || entry.action.startsWith(q.actionPrefix)) &&
    (q.decision === null || entry.decision === q.decision) &&
    (q.actor === null || entry.actor === q.actor) &&
    (q.role === null || entry.role === q.role) &&
    (q.success === null || entry.success === q.success) &&
    (q.since === null || entry.ts >= q.since) &&
    (q.until === null || entry.ts < q.until)
  );
}

/**
 * Builds one page from entries offered newest first. It takes one entry more than the page
 * holds, so `next_cursor` is set only when an older match really exists.
 */
export class AuditPageCollector {
  private readonly found: AuditEntry[] = [];

  constructor(readonly query: NormalizedAuditQuery) {}

  /** Offers the next (older) entry; returns false once the page is complete. */
  offer(entry: AuditEntry): boolean {
    if (matchesAuditQuery(entry, this.query)) this.found.push(entry);
    return !this.done;
  }

  get done(): boolean {
    return this.found.length > this.query.limit;
  }

  /** Whether entries with this seq or larger can be skipped (they are not before the cursor). */
  skips(seq: number): boolean {
    return this.query.beforeSeq !== null && seq >= this.query.beforeSeq;
  }

  /**
   * Whether a backward scan may stop at `entry`: it is stamped more than `SINCE_SCAN_SLACK_MS`
   * before `since`, so older entries (smaller seq, stamped earlier by the one writer) cannot
   * match either. The slack covers a clock stepped back a little between appends.
   */
  endsScan(entry: AuditEntry): boolean {
    if (this.sinceFloor === null) return false;
    return entry.ts < this.sinceFloor;
  }

  private readonly sinceFloor =
    this.query.since === null
      ? null
      : new Date(Date.parse(this.query.since) - SINCE_SCAN_SLACK_MS).toISOString();

  /** Whether no entry stamped within `range` can match the query's time bounds. */
  excludesRange(range: { readonly min: string; readonly max: string }): boolean {
    const { since, until } = this.query;
    return (since !== null && range.max < since) || (until !== null && range.min >= until);
  }

  page(): AuditPage {
    const entries = this.found.slice(0, this.query.limit);
    const more = this.found.length > this.query.limit;
    return { entries, next_cursor: more ? String(entries[entries.length - 1]!.seq) : null };
  }
}
