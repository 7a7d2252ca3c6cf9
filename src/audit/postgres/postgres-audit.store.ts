import type pg from 'pg';
import { systemClock, type Clock } from '../../common/domain/clock.js';
import { DomainError } from '../../common/domain/domain-error.js';
import { asUnavailable, withTransaction } from '../../database/database-pool.js';
import { stampedAuditEntry } from '../../state/outbox/stamped-audit-entry.js';
import { deepFreeze } from '../../state/index/deep-freeze.js';
import { auditClosed, auditWriteFailed } from '../audit-errors.js';
import { AuditStore, type AuditHealth } from '../audit.store.js';
import { type AuditEntry, type AuditEntryInput, type UnsealedEntry } from '../domain/audit-entry.js';
import { prepareEntry } from '../domain/audit-entry-input.js';
import {
  AuditPageCollector,
  normalizeAuditQuery,
  recentCount,
  type AuditPage,
  type AuditQuery,
} from '../domain/audit-query.js';
import { DEFAULT_AUDIT_REDACTION, type AuditRedactionOptions } from '../domain/audit-redaction.js';
import { AuditStatsAccumulator, type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { ChainVerifier, type AuditVerifyReport } from '../domain/audit-verify.js';
import { sealEntryLine } from '../domain/hash-chain.js';
import { lockChainHead, readChainHead, updateChainHead, type ChainHead } from './audit-chain-head.js';
import { entryOfLine, insertAuditRows, type SealedRow } from './audit-entry-rows.js';
import { auditQuerySql } from './audit-sql-query.js';
import { AuditWriteQueue } from './audit-write-queue.js';
import { takeOutboxBatch } from './audit-outbox-batch.js';

export interface PostgresAuditOptions {
  readonly clock?: Clock;
  readonly redaction?: Partial<AuditRedactionOptions>;
  /** Recorded in `audit_entries.instance_id`. */
  readonly instanceId?: string;
  /** Most appends per transaction (default 2000). */
  readonly maxBatch?: number;
}

/** Rows per read when verify and stats walk the whole table. */
const SCAN_PAGE = 5000;
const TARGET = 'in PostgreSQL (audit_entries)';

interface PendingAppend {
  readonly fields: UnsealedEntry;
  readonly ts: string;
  resolve(entry: AuditEntry): void;
  reject(error: unknown): void;
}

/**
 * The audit log in PostgreSQL: one hash chain for the whole cluster, its head in
 * `chain_heads('audit')`. Each process groups its appends into one transaction per batch that
 * locks the head, chains the batch in call order, inserts it and moves the head; the head's row
 * lock orders the batches of every process. An append resolves only after its batch committed.
 *
 * Retention (`retainEntries` of the memory store, rotated files of the JSONL store) is not
 * implemented for postgres: every entry is kept, and verify expects the chain from seq 1.
 * The pool is the caller's: `close` does not end it.
 */
export class PostgresAuditStore extends AuditStore {
  private readonly clock: Clock;
  private readonly redaction: AuditRedactionOptions;
  private readonly instanceId: string | null;
  private readonly queue: AuditWriteQueue<PendingAppend>;
  private closed = false;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresAuditOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    this.redaction = { ...DEFAULT_AUDIT_REDACTION, ...options.redaction };
    this.instanceId = options.instanceId ?? null;
    this.queue = new AuditWriteQueue((batch) => this.writeBatch(batch), options.maxBatch ?? 2000);
  }

  append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(auditClosed());
    let fields: UnsealedEntry;
    try {
      fields = prepareEntry(input, this.redaction);
    } catch (error) {
      return Promise.reject(error);
    }
    const ts = new Date(this.clock.now()).toISOString();
    return new Promise((resolve, reject) => this.queue.add({ fields, ts, resolve, reject }));
  }

  /**
   * Seals what the postgres state repository left in `audit_outbox` (entries written in the
   * same transaction as their state change): in batches of up to 2000, oldest id first, each
   * batch in one transaction with the head locked, so concurrent sealers never seal a row twice.
   * Runs in this process's writer queue, between append batches. Returns how many it sealed.
   */
  async sealStateOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      if (this.closed) throw auditClosed();
      const sealed = await this.queue.run(() => this.sealOutboxBatch());
      total += sealed.count;
      if (!sealed.more) return total;
    }
  }

  async query(query?: AuditQuery): Promise<AuditPage> {
    const collector = new AuditPageCollector(normalizeAuditQuery(query));
    const { where, values } = auditQuerySql(collector.query);
    // One more than the page, so the collector knows whether an older match exists.
    const { rows } = await this.read<{ line: string }>(
      `SELECT entry::text AS line FROM audit_entries ${where} ORDER BY seq DESC LIMIT ${collector.query.limit + 1}`,
      values,
    );
    for (const row of rows) if (!collector.offer(deepFreeze(entryOfLine(row.line)))) break;
    return collector.page();
  }

  async recent(count?: number): Promise<readonly AuditEntry[]> {
    return (await this.query({ limit: recentCount(count) })).entries;
  }

  async stats(query?: AuditStatsQuery): Promise<AuditStats> {
    const stats = new AuditStatsAccumulator(query);
    const terms: string[] = [];
    const values: unknown[] = [];
    if (stats.since !== null) terms.push(`ts >= $${values.push(stats.since) + 1}`);
    if (stats.until !== null) terms.push(`ts < $${values.push(stats.until) + 1}`);
    await this.scan(terms.join(' AND '), values, (entry) => stats.add(entry));
    return stats.result();
  }

  async verify(): Promise<AuditVerifyReport> {
    // The head as committed before the walk: the table must reach it, so rows deleted from
    // the end are a break too.
    const head = await this.readHead();
    const verifier = new ChainVerifier(head ? { writtenThrough: head } : {});
    verifier.beginFile({ name: 'audit_entries', declaredFirstSeq: null, declaredLastSeq: null });
    let n = 0;
    await this.scanLines('', [], (line) => verifier.line(Buffer.from(line), ++n, true));
    return verifier.finish();
  }

  async health(): Promise<AuditHealth> {
    try {
      const { rows } = await this.read<{ seq: string | null; unsealed: string }>(
        `SELECT (SELECT seq FROM chain_heads WHERE name = 'audit') AS seq,
                (SELECT count(*) FROM audit_outbox) AS unsealed`,
      );
      return {
        status: this.closed ? 'down' : 'up',
        backend: 'postgres',
        details: {
          last_seq: Number(rows[0]?.seq ?? 0),
          unsealed: Number(rows[0]?.unsealed ?? 0),
          ...(this.closed ? { closed: true } : {}),
        },
      };
    } catch (error) {
      return {
        status: 'down',
        backend: 'postgres',
        details: { error: (error as Error).message, ...(this.closed ? { closed: true } : {}) },
      };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.queue.idle();
  }

  /** One append batch: chained in call order, one transaction; settles every append in it. */
  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    let sealed: SealedRow[];
    try {
      sealed = await withTransaction(this.pool, async (client) => {
        const head = await lockChainHead(client);
        const rows = chain(head, batch);
        await insertAuditRows(client, rows, this.instanceId);
        await updateChainHead(client, rows[rows.length - 1]!.entry);
        return rows;
      });
    } catch (error) {
      const failure = auditWriteFailed(TARGET, error);
      for (const item of batch) item.reject(failure);
      return;
    }
    sealed.forEach((row, i) => batch[i]!.resolve(deepFreeze(row.entry)));
  }

  private async sealOutboxBatch(): Promise<{ count: number; more: boolean }> {
    try {
      return await withTransaction(this.pool, async (client) => {
        const head = await lockChainHead(client);
        // Taken after the head lock: a second sealer waits for this one's commit, then sees
        // these rows gone.
        const { items, more } = await takeOutboxBatch(client);
        if (items.length === 0) return { count: 0, more: false };
        const ts = new Date(this.clock.now()).toISOString();
        const pending = items.map((item) => ({
          fields: prepareEntry(stampedAuditEntry(item, false), this.redaction),
          ts,
        }));
        const rows = chain(head, pending);
        await insertAuditRows(client, rows, this.instanceId);
        await updateChainHead(client, rows[rows.length - 1]!.entry);
        return { count: rows.length, more };
      });
    } catch (error) {
      // A malformed outbox entry is the state writer's bug, not an outage: say so. Its batch
      // rolled back, so the row stays in the outbox (and blocks sealing) until it is fixed.
      if (error instanceof DomainError && error.code === 'invalid_audit_entry') throw error;
      throw auditWriteFailed(TARGET, error);
    }
  }

  /** Every entry in seq order, optionally filtered, a page at a time. */
  private scan(where: string, values: unknown[], each: (entry: AuditEntry) => void): Promise<void> {
    return this.scanLines(where, values, (line) => {
      each(entryOfLine(line));
      return true;
    });
  }

  private async scanLines(where: string, values: unknown[], each: (line: string) => boolean): Promise<void> {
    let after = 0;
    for (;;) {
      const { rows } = await this.read<{ seq: string; line: string }>(
        `SELECT seq, entry::text AS line FROM audit_entries WHERE seq > $1 ${where ? `AND ${where}` : ''}
          ORDER BY seq LIMIT ${SCAN_PAGE}`,
        [after, ...values],
      );
      for (const row of rows) if (!each(row.line)) return;
      if (rows.length < SCAN_PAGE) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  private async readHead(): Promise<ChainHead | null> {
    try {
      return await readChainHead(this.pool);
    } catch (error) {
      throw asUnavailable(error);
    }
  }

  private async read<R extends pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (error) {
      throw asUnavailable(error);
    }
  }
}

/** Seals entries after `head`, in order. */
function chain(head: ChainHead, items: readonly { fields: UnsealedEntry; ts: string }[]): SealedRow[] {
  let prev = head;
  return items.map(({ fields, ts }) => {
    const sealed = sealEntryLine(fields, { seq: prev.seq + 1, ts, prevHash: prev.hash });
    prev = sealed.entry;
    return sealed;
  });
}
