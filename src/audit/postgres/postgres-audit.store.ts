import { type AuditSigningOptions } from '../signing/audit-signing-options.js';
import type pg from 'pg';
import { systemClock, type Clock } from '../../common/domain/clock.js';
import { DomainError } from '../../common/domain/domain-error.js';
import { withTransaction } from '../../database/database-pool.js';
import { stampedAuditEntry } from '../../state/outbox/stamped-audit-entry.js';
import { deepFreeze } from '../../state/index/deep-freeze.js';
import { auditClosed, auditWriteFailed } from '../audit-errors.js';
import { AuditStore, type AuditHealth, type AuditWarning } from '../audit.store.js';
import { type AuditEntry, type AuditEntryInput, type UnsealedEntry } from '../domain/audit-entry.js';
import { prepareEntry } from '../domain/audit-entry-input.js';
import { recentCount, type AuditPage, type AuditQuery } from '../domain/audit-query.js';
import { DEFAULT_AUDIT_REDACTION, type AuditRedactionOptions } from '../domain/audit-redaction.js';
import { type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { type AuditVerifyReport } from '../domain/audit-verify.js';
import { readCheckpoint, trustedKeys } from '../domain/checkpoint.js';
import { reanchorEntry, signedLateEntry } from '../domain/system-entries.js';
import { type AuditAnchorStore } from '../anchor/audit-anchor.store.js';
import { auditAnchorProblem } from '../anchor/audit-anchor-errors.js';
import { type AuditSigner } from '../signing/audit-signer.js';
import { lockChainHead, updateChainHead } from './audit-chain-head.js';
import { insertAuditRows } from './audit-entry-rows.js';
import { findTableAnchorLoss } from './audit-anchor-check.js';
import {
  chainSigned,
  lastCheckpointSeq,
  type ChainSigning,
  type SignedChain,
} from './audit-chain-signing.js';
import { verifyAuditTable } from './audit-table-verify.js';
import {
  hasStaleOutboxEntry,
  readAuditPage,
  readAuditStats,
  readCommittedHead,
  readSealingState,
} from './audit-table-reads.js';
import { AuditWriteQueue } from './audit-write-queue.js';
import { takeOutboxBatch } from './audit-outbox-batch.js';
import { auditKeyMismatch } from './audit-key-mismatch.js';

export interface PostgresAuditOptions extends AuditSigningOptions {
  readonly clock?: Clock;
  readonly redaction?: Partial<AuditRedactionOptions>;
  /** Recorded in `audit_entries.instance_id`. */
  readonly instanceId?: string;
  /** Most appends per transaction (default 2000). */
  readonly maxBatch?: number;
  readonly onWarning?: (warning: AuditWarning) => void;
}

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
 * With a signer (`open`), a transaction that leaves `checkpointEveryEntries` entries unsigned
 * also writes a signed `audit.checkpoint` after them, as do start-up, shutdown and a timer
 * (`checkpointIntervalMs` after this process's first unsigned entry); the anchor row is written
 * after the commit. The last checkpoint is read under the head lock, so instances count from the
 * same place, whoever signed last.
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
  /** When this process first committed an entry no checkpoint signs yet (null: none). */
  private unsignedSince: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresAuditOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    this.redaction = { ...DEFAULT_AUDIT_REDACTION, ...options.redaction };
    this.instanceId = options.instanceId ?? null;
    this.queue = new AuditWriteQueue((batch) => this.writeBatch(batch), options.maxBatch ?? 2000);
  }

  /**
   * Opens the store; with a signer, refuses (`audit_anchor_mismatch`) a chain that lost or
   * overtook its anchor unless `acceptAnchorLoss`, refuses (exit 2) an anchor signed by a key it
   * does not trust, signs whatever is unsigned and anchors it before returning.
   */
  static async open(pool: pg.Pool, options: PostgresAuditOptions = {}): Promise<PostgresAuditStore> {
    const store = new PostgresAuditStore(pool, options);
    if (store.signing) await store.start(store.signing.anchors);
    return store;
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

  hasStaleStateOutbox(olderThanMs: number): Promise<boolean> {
    return hasStaleOutboxEntry(this.pool, olderThanMs);
  }

  query(query?: AuditQuery): Promise<AuditPage> {
    return readAuditPage(this.pool, query);
  }

  async recent(count?: number): Promise<readonly AuditEntry[]> {
    return (await this.query({ limit: recentCount(count) })).entries;
  }

  stats(query?: AuditStatsQuery): Promise<AuditStats> {
    return readAuditStats(this.pool, query);
  }

  async verify(): Promise<AuditVerifyReport> {
    // The head as committed before the walk: the table must reach it, so rows deleted from
    // the end are a break too.
    const head = await readCommittedHead(this.pool);
    const signing = this.signing;
    const anchor = signing ? await signing.anchors.read() : undefined;
    return verifyAuditTable(this.pool, {
      ...(head ? { writtenThrough: head } : {}),
      ...(signing
        ? {
            keys: this.trusted(),
            anchor: { value: anchor ?? null, location: signing.anchors.location },
          }
        : {}),
    });
  }

  async health(): Promise<AuditHealth> {
    try {
      const { lastSeq, unsealed } = await readSealingState(this.pool);
      return {
        status: this.closed ? 'down' : 'up',
        backend: 'postgres',
        details: {
          last_seq: lastSeq,
          unsealed,
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
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // The last entries are signed and anchored before the store is let go.
    if (this.signing) await this.queue.run(() => this.signNow()).catch(() => undefined);
    await this.queue.idle();
  }

  /** One append batch: chained in call order, one transaction; settles every append in it. */
  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    let sealed: SignedChain;
    try {
      sealed = await this.seal(batch);
    } catch (error) {
      const failure = auditWriteFailed(TARGET, error);
      for (const item of batch) item.reject(failure);
      return;
    }
    sealed.itemRows.forEach((row, i) => batch[i]!.resolve(deepFreeze(row.entry)));
    await this.anchor(sealed);
  }

  /**
   * Chains `items` (and the checkpoints due among them) after the locked head in one transaction;
   * `take` adds rows read under the lock (the outbox batch) after them. `final`: end with a
   * checkpoint if anything is unsigned. Nothing is written when there is nothing to write.
   */
  private seal(
    items: readonly { fields: UnsealedEntry; ts: string }[],
    options: { final?: boolean; take?: (client: pg.PoolClient) => Promise<typeof items> } = {},
  ): Promise<SignedChain> {
    return withTransaction(this.pool, async (client) => {
      const head = await lockChainHead(client);
      // Taken after the head lock: a second sealer waits for this one's commit, then sees them gone.
      const all = options.take ? [...items, ...(await options.take(client))] : items;
      if (all.length === 0 && !options.final) return { rows: [], itemRows: [], checkpoint: null };
      const signing = await this.signingState(client);
      const sealed = chainSigned(head, all, signing, () => this.now(), options.final);
      if (sealed.rows.length === 0) return sealed;
      await insertAuditRows(client, sealed.rows, this.instanceId);
      await updateChainHead(client, sealed.rows[sealed.rows.length - 1]!.entry);
      return sealed;
    });
  }

  /** After a commit: anchor its last checkpoint, and note what this process left unsigned. */
  private async anchor(sealed: SignedChain): Promise<void> {
    if (!this.signing || sealed.rows.length === 0) return;
    const last = sealed.rows[sealed.rows.length - 1]!;
    if (last === sealed.checkpoint) this.unsignedSince = null;
    else this.unsignedSince ??= this.clock.now();
    const row = sealed.checkpoint;
    if (!row) return;
    const anchor = {
      seq: row.entry.seq,
      hash: row.entry.hash,
      checkpoint: readCheckpoint(row.entry.details)!,
    };
    try {
      // Two instances may anchor out of order: the older anchor is still a checkpoint of this
      // chain (only less of its end is covered), and the next checkpoint replaces it.
      await this.signing.anchors.write(anchor);
      this.options.onCheckpoint?.(anchor);
    } catch (error) {
      this.options.onWarning?.({
        code: 'audit_anchor_failed',
        message: `Could not record checkpoint seq ${anchor.seq} in ${this.signing.anchors.location}: ${(error as Error).message}; the next checkpoint tries again`,
      });
    }
  }

  /** A checkpoint now if anything in the chain is unsigned (timer, start-up, close). */
  private async signNow(first: UnsealedEntry[] = []): Promise<void> {
    const ts = this.now();
    const sealed = await this.seal(
      first.map((fields) => ({ fields, ts })),
      { final: true },
    );
    await this.anchor(sealed);
    if (sealed.rows.length === 0) this.unsignedSince = null;
  }

  private async start(anchors: AuditAnchorStore): Promise<void> {
    const anchor = await anchors.read();
    if (anchor) {
      const keyId = anchor.checkpoint.payload.key_id;
      if (!this.trusted().has(keyId)) throw auditKeyMismatch(keyId, this.options.signer!);
      // The export starts from the stored anchor (the metric would read 0 until the next one).
      this.options.onCheckpoint?.(anchor);
    }
    const lost = await findTableAnchorLoss(this.pool, anchor, anchors.location);
    if (lost && !this.options.acceptAnchorLoss) throw auditAnchorProblem(lost);
    const first: UnsealedEntry[] = [];
    const head = (await readCommittedHead(this.pool))?.seq ?? 0;
    const signedThrough = await lastCheckpointSeq(this.pool);
    if ((anchor === null || lost) && head > signedThrough) {
      // Trust on first use (a chain written before signing, an accepted loss): signed as found.
      first.push(signedLateEntry({ from_seq: signedThrough + 1, to_seq: head, cause: 'no_anchor' }));
    }
    if (lost) {
      this.options.onWarning?.({
        code: 'audit_anchor_lost',
        message: `${lost}; accepted (audit.accept_anchor_loss) and recorded`,
      });
      first.push(reanchorEntry(lost, { log_last_seq: head, anchor_seq: anchor?.seq ?? null }));
    }
    await this.queue.run(() => this.signNow(first));
    this.startTimer();
  }

  private startTimer(): void {
    const interval = this.options.checkpointIntervalMs ?? 10_000;
    this.timer = setInterval(
      () => {
        if (this.closed || this.unsignedSince === null) return;
        if (this.clock.now() - this.unsignedSince < interval) return;
        this.queue.run(() => this.signNow()).catch(() => undefined);
      },
      Math.min(interval, 1000),
    );
    this.timer.unref();
  }

  private get signing(): { signer: AuditSigner; anchors: AuditAnchorStore } | null {
    const { signer, anchors } = this.options;
    return signer && anchors ? { signer, anchors } : null;
  }

  private async signingState(client: pg.PoolClient): Promise<ChainSigning | null> {
    const signing = this.signing;
    if (!signing) return null;
    return {
      signer: signing.signer,
      everyEntries: this.options.checkpointEveryEntries ?? 1000,
      signedThrough: await lastCheckpointSeq(client),
    };
  }

  private trusted() {
    return trustedKeys([this.options.signer!.publicKey, ...(this.options.previousKeys ?? [])]);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private async sealOutboxBatch(): Promise<{ count: number; more: boolean }> {
    let more = false;
    let sealed: SignedChain;
    try {
      sealed = await this.seal([], {
        take: async (client) => {
          const batch = await takeOutboxBatch(client);
          more = batch.more;
          const ts = this.now();
          return batch.items.map((item) => ({
            fields: prepareEntry(stampedAuditEntry(item, false), this.redaction),
            ts,
          }));
        },
      });
    } catch (error) {
      // A malformed outbox entry is the state writer's bug, not an outage: say so. Its batch
      // rolled back, so the row stays in the outbox (and blocks sealing) until it is fixed.
      if (error instanceof DomainError && error.code === 'invalid_audit_entry') throw error;
      throw auditWriteFailed(TARGET, error);
    }
    await this.anchor(sealed);
    return { count: sealed.itemRows.length, more };
  }
}
