import { type AuditEntry } from './audit-entry.js';
import { isoBound } from './audit-query.js';

export interface AuditStatsQuery {
  /** ISO time, inclusive. */
  readonly since?: string;
  /** ISO time, exclusive. */
  readonly until?: string;
}

export interface AuditCounts {
  readonly total: number;
  readonly successes: number;
  readonly failures: number;
}

export interface AuditStats extends AuditCounts {
  /** successes / total, rounded to 4 decimals; null when there are no entries. */
  readonly success_rate: number | null;
  readonly by_tool: Readonly<Record<string, AuditCounts>>;
  readonly by_phase: Readonly<Record<string, AuditCounts>>;
  readonly by_decision: Readonly<Record<string, AuditCounts>>;
  readonly by_action: Readonly<Record<string, AuditCounts>>;
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  readonly since: string | null;
  readonly until: string | null;
}

interface MutableCounts {
  total: number;
  successes: number;
  failures: number;
}

/** Counts entries offered in any order; `in range` by `ts` only. */
export class AuditStatsAccumulator {
  readonly since: string | null;
  readonly until: string | null;
  private readonly all: MutableCounts = { total: 0, successes: 0, failures: 0 };
  private readonly byTool = new Map<string, MutableCounts>();
  private readonly byPhase = new Map<string, MutableCounts>();
  private readonly byDecision = new Map<string, MutableCounts>();
  private readonly byAction = new Map<string, MutableCounts>();
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private minTs: string | null = null;
  private maxTs: string | null = null;

  constructor(query: AuditStatsQuery = {}) {
    this.since = isoBound(query.since, 'since');
    this.until = isoBound(query.until, 'until');
  }

  add(entry: AuditEntry): void {
    if (this.since !== null && entry.ts < this.since) return;
    if (this.until !== null && entry.ts >= this.until) return;
    count(this.all, entry.success);
    if (entry.tool !== null) count(bucket(this.byTool, entry.tool), entry.success);
    if (entry.phase !== null) count(bucket(this.byPhase, entry.phase), entry.success);
    count(bucket(this.byDecision, entry.decision), entry.success);
    count(bucket(this.byAction, entry.action), entry.success);
    if (this.firstSeq === null || entry.seq < this.firstSeq) this.firstSeq = entry.seq;
    if (this.lastSeq === null || entry.seq > this.lastSeq) this.lastSeq = entry.seq;
    if (this.minTs === null || entry.ts < this.minTs) this.minTs = entry.ts;
    if (this.maxTs === null || entry.ts > this.maxTs) this.maxTs = entry.ts;
  }

  /** Timestamps of the entries counted: null when none. */
  get tsRange(): { readonly min: string; readonly max: string } | null {
    return this.minTs === null || this.maxTs === null ? null : { min: this.minTs, max: this.maxTs };
  }

  /** Whether every entry stamped within `range` is inside this accumulator's time bounds. */
  covers(range: { readonly min: string; readonly max: string }): boolean {
    return (
      (this.since === null || range.min >= this.since) && (this.until === null || range.max < this.until)
    );
  }

  /** Whether no entry stamped within `range` can be inside this accumulator's time bounds. */
  excludes(range: { readonly min: string; readonly max: string }): boolean {
    return (
      (this.since !== null && range.max < this.since) || (this.until !== null && range.min >= this.until)
    );
  }

  /**
   * Adds the counts of another accumulator (a cached summary of a whole file) whose entries
   * all fall inside this one's bounds (check with `covers`).
   */
  merge(other: AuditStatsAccumulator): void {
    addCounts(this.all, other.all);
    for (const [mine, theirs] of [
      [this.byTool, other.byTool],
      [this.byPhase, other.byPhase],
      [this.byDecision, other.byDecision],
      [this.byAction, other.byAction],
    ] as const) {
      for (const [key, counts] of theirs) addCounts(bucket(mine, key), counts);
    }
    for (const seq of [other.firstSeq, other.lastSeq]) {
      if (seq === null) continue;
      if (this.firstSeq === null || seq < this.firstSeq) this.firstSeq = seq;
      if (this.lastSeq === null || seq > this.lastSeq) this.lastSeq = seq;
    }
    const range = other.tsRange;
    if (range) {
      if (this.minTs === null || range.min < this.minTs) this.minTs = range.min;
      if (this.maxTs === null || range.max > this.maxTs) this.maxTs = range.max;
    }
  }

  result(): AuditStats {
    const { total, successes, failures } = this.all;
    return {
      total,
      successes,
      failures,
      success_rate: total === 0 ? null : Math.round((successes / total) * 10_000) / 10_000,
      by_tool: sorted(this.byTool),
      by_phase: sorted(this.byPhase),
      by_decision: sorted(this.byDecision),
      by_action: sorted(this.byAction),
      first_seq: this.firstSeq,
      last_seq: this.lastSeq,
      since: this.since,
      until: this.until,
    };
  }
}

function count(counts: MutableCounts, success: boolean): void {
  counts.total += 1;
  if (success) counts.successes += 1;
  else counts.failures += 1;
}

function addCounts(to: MutableCounts, from: MutableCounts): void {
  to.total += from.total;
  to.successes += from.successes;
  to.failures += from.failures;
}

function bucket(map: Map<string, MutableCounts>, key: string): MutableCounts {
  let counts = map.get(key);
  if (!counts) {
    counts = { total: 0, successes: 0, failures: 0 };
    map.set(key, counts);
  }
  return counts;
}

function sorted(map: Map<string, MutableCounts>): Record<string, AuditCounts> {
  // fromEntries defines own properties, so a tool named `__proto__` is just a key.
  return Object.fromEntries([...map.keys()].sort().map((key) => [key, { ...map.get(key)! }]));
}
