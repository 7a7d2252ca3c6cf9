import { systemClock, type Clock } from '../common/domain/clock.js';
import { deepFreeze } from '../state/index/deep-freeze.js';
import { auditClosed } from './audit-errors.js';
import { AuditStore, type AuditHealth } from './audit.store.js';
import { GENESIS_HASH, type AuditEntry, type AuditEntryInput } from './domain/audit-entry.js';
import { prepareEntry } from './domain/audit-entry-input.js';
import {
  AuditPageCollector,
  normalizeAuditQuery,
  recentCount,
  type AuditPage,
  type AuditQuery,
} from './domain/audit-query.js';
import { DEFAULT_AUDIT_REDACTION, type AuditRedactionOptions } from './domain/audit-redaction.js';
import { AuditStatsAccumulator, type AuditStats, type AuditStatsQuery } from './domain/audit-stats.js';
import { ChainVerifier, type AuditVerifyReport } from './domain/audit-verify.js';
import { sealEntryLine } from './domain/hash-chain.js';

export interface MemoryAuditOptions {
  readonly clock?: Clock;
  readonly redaction?: Partial<AuditRedactionOptions>;
  /** Keep at most this many entries (the oldest are dropped, like retention). Default: all. */
  readonly retainEntries?: number;
}

/**
 * The audit log in memory, for tests and the memory backend: the same redaction, chain,
 * query, stats and verification as the file store (it keeps the written form of each entry
 * so `verify` checks exactly what the file store would have written). Not durable.
 */
export class MemoryAuditStore extends AuditStore {
  private readonly clock: Clock;
  private readonly redaction: AuditRedactionOptions;
  private readonly retain: number;
  private entries: AuditEntry[] = [];
  private lines: string[] = [];
  private lastHash = GENESIS_HASH;
  private lastSeq = 0;
  private closed = false;

  constructor(options: MemoryAuditOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
    this.redaction = { ...DEFAULT_AUDIT_REDACTION, ...options.redaction };
    this.retain = options.retainEntries ?? Number.POSITIVE_INFINITY;
  }

  async append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.closed) throw auditClosed();
    const fields = prepareEntry(input, this.redaction);
    const { entry, line } = sealEntryLine(fields, {
      seq: this.lastSeq + 1,
      ts: new Date(this.clock.now()).toISOString(),
      prevHash: this.lastHash,
    });
    deepFreeze(entry);
    this.entries.push(entry);
    this.lines.push(line);
    this.lastSeq = entry.seq;
    this.lastHash = entry.hash;
    if (this.entries.length > this.retain) {
      const drop = this.entries.length - this.retain;
      this.entries = this.entries.slice(drop);
      this.lines = this.lines.slice(drop);
    }
    return entry;
  }

  async query(query?: AuditQuery): Promise<AuditPage> {
    const collector = new AuditPageCollector(normalizeAuditQuery(query));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (collector.skips(entry.seq)) continue;
      if (!collector.offer(entry)) break;
    }
    return collector.page();
  }

  async recent(count?: number): Promise<readonly AuditEntry[]> {
    return (await this.query({ limit: recentCount(count) })).entries;
  }

  async stats(query?: AuditStatsQuery): Promise<AuditStats> {
    const stats = new AuditStatsAccumulator(query);
    for (const entry of this.entries) stats.add(entry);
    return stats.result();
  }

  async verify(): Promise<AuditVerifyReport> {
    const verifier = new ChainVerifier();
    const first = this.entries[0]?.seq ?? null;
    verifier.beginFile({ name: 'memory', declaredFirstSeq: first, declaredLastSeq: null });
    this.lines.every((line, i) => verifier.line(Buffer.from(line), i + 1, true));
    return verifier.finish();
  }

  async health(): Promise<AuditHealth> {
    return {
      status: this.closed ? 'down' : 'up',
      backend: 'memory',
      details: {
        entries: this.entries.length,
        last_seq: this.lastSeq,
        ...(this.closed ? { closed: true } : {}),
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
