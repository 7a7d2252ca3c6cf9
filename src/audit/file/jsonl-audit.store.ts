import { type AuditSigningOptions } from '../signing/audit-signing-options.js';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../common/domain/clock.js';
import { GroupCommit } from '../../state/file/group-commit.js';
import { type StateFileHandle } from '../../state/file/state-fs.js';
import { auditClosed, auditWriteFailed } from '../audit-errors.js';
import { AuditStore, type AuditHealth, type AuditWarning } from '../audit.store.js';
import { type AuditEntry, type AuditEntryInput, type UnsealedEntry } from '../domain/audit-entry.js';
import { prepareEntry } from '../domain/audit-entry-input.js';
import { normalizeAuditQuery, recentCount, type AuditPage, type AuditQuery } from '../domain/audit-query.js';
import { DEFAULT_AUDIT_REDACTION, type AuditRedactionOptions } from '../domain/audit-redaction.js';
import { type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { type AuditVerifyReport } from '../domain/audit-verify.js';
import { sealEntryLine } from '../domain/hash-chain.js';
import { CHECKPOINT_ACTION, readCheckpoint, trustedKeys } from '../domain/checkpoint.js';
import { checkpointEntry, pruneEntry, reanchorEntry, signedLateEntry } from '../domain/system-entries.js';
import { type AuditAnchor } from '../anchor/audit-anchor.store.js';
import { auditAnchorProblem } from '../anchor/audit-anchor-errors.js';
import {
  currentSegment,
  listRotated,
  rotatedFileName,
  rotatedSegment,
  type RotatedFile,
} from './audit-files.js';
import { nodeAuditFs, type AuditFs } from './audit-fs.js';
import {
  closeSegments,
  openSegments,
  queryOpened,
  statsOpened,
  verifyOpened,
  type OpenSegment,
} from './audit-log-reader.js';
import { readAuditTail, type AuditTail } from './audit-recovery.js';
import { findAnchorLoss } from './anchor-loss.js';
import { recoveryEntryInput } from './recovery-entry.js';
import { SegmentSummaries } from './segment-summaries.js';

export interface JsonlAuditOptions extends AuditSigningOptions {
  /** `audit.audit_file`; rotated files are written beside it. */
  readonly auditFile: string;
  /** Ownership of the audit directory, released by `close` (see openAuditStore). */
  readonly lock?: { release(): Promise<void> };
  /** Rotate before a file would hold more entries than this (`audit.max_entries`). */
  readonly maxEntries?: number;
  /** Rotate before a file would grow past this (`audit.rotate_size_mb`). */
  readonly rotateSizeMb?: number;
  /** Same in bytes (takes precedence; for tests). */
  readonly rotateSizeBytes?: number;
  /** `audit.auto_rotate`: false writes one file forever. */
  readonly autoRotate?: boolean;
  /** `audit.retain_files`: rotated files kept; the oldest beyond are deleted. */
  readonly retainFiles?: number;
  /** fdatasync before acknowledging (default true); off only to measure what durability costs. */
  readonly fsync?: boolean;
  readonly clock?: Clock;
  readonly fs?: AuditFs;
  readonly redaction?: Partial<AuditRedactionOptions>;
  /** Start-up findings (also in `startup.warnings`) and failed retention deletes. */
  readonly onWarning?: (warning: AuditWarning) => void;
  /** After every durable write: for the audit write latency metric. */
  readonly onWrite?: (write: AuditWriteInfo) => void;
}

export interface AuditWriteInfo {
  readonly entries: number;
  readonly bytes: number;
  /** write + fdatasync. */
  readonly seconds: number;
}

export interface AuditStartupReport {
  readonly last_seq: number;
  readonly rotated_files: number;
  readonly warnings: readonly AuditWarning[];
  /** An `audit.recover` entry was written because the tail was torn or damaged. */
  readonly recovery_entry_seq: number | null;
}

/**
 * An append waiting for its batch. The writer seals it (seq, prev_hash) in submission order.
 * `fields` null: a request to sign a checkpoint (timer, close, start-up) if anything is unsigned.
 */
interface PendingAppend {
  readonly fields: UnsealedEntry | null;
  readonly ts: string;
  entry: AuditEntry | null;
  durable: boolean;
  error: unknown;
}

const MB = 1024 * 1024;

/**
 * The embedded audit log: JSON lines, hash-chained, durable before `append` resolves.
 *
 * - Group commit: appends arriving together are sealed in call order and written with one
 *   write + one fdatasync (`GroupCommit` from the state store).
 * - Rotation: before a line would push the current file past `maxEntries` or the size limit,
 *   the file is renamed to `<file>.<first seq>-<last seq>` and a new one started; the chain
 *   continues (the new file's first `prev_hash` is the old file's last `hash`). A batch may
 *   span two files. The oldest rotated files beyond `retainFiles` are deleted.
 * - Start-up reads only the tail: `seq` and the last hash resume from the last intact entry.
 *   A torn or damaged tail is never rewritten: a newline and an `audit.recover` entry naming
 *   the torn bytes' length and SHA-256 are appended, and a warning is reported.
 * - A failed write (EACCES, ENOSPC, EROFS, EIO…) rejects with `audit_write_failed`; the
 *   unacknowledged bytes are truncated when possible, and the next write first re-reads the
 *   tail from disk, so the chain always continues from what is really there.
 * - Reads (query, stats, verify) see a consistent snapshot: rotated files plus the current
 *   file up to its last durable byte, opened while no rotation is in progress.
 */
export class JsonlAuditStore extends AuditStore {
  readonly auditFile: string;
  private readonly dir: string;
  private readonly committer: GroupCommit<PendingAppend>;
  private handle: StateFileHandle | null = null;
  private rotated: RotatedFile[] = [];
  private readonly summaries = new SegmentSummaries();
  /** Seq and hash of the last entry sealed (maybe not yet durable). */
  private seq = 0;
  private lastHash = '';
  /** Seq and hash of the last entry on disk. */
  private durableSeq = 0;
  private durableHash = '';
  private currentFirstSeq: number | null = null;
  /** Bytes of the current file known to be on disk (the readable part). */
  private fileBytes = 0;
  /** Odd while files are renamed or reopened: readers wait, then re-check (a seqlock). */
  private generation = 0;
  private closed = false;
  private lastError: string | null = null;
  private lastErrorAt: string | null = null;
  private report: AuditStartupReport | null = null;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly redaction: AuditRedactionOptions;
  /** Entries sealed since the last checkpoint, and when the first of them was. */
  private unsigned = 0;
  private unsignedSince: number | null = null;
  /** Seq of the last anchored checkpoint (0: none). */
  private anchoredSeq = 0;
  /** Retention deleted every seq up to this one (signed into each checkpoint). */
  private prunedThrough = 0;
  /** Rotated files recorded as pruned in the batch being written: deleted once it is durable. */
  private toDelete: RotatedFile[] = [];
  private anchorDue: AuditAnchor | null = null;
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    auditFile: string,
    private readonly options: JsonlAuditOptions,
    private readonly fs: AuditFs,
    private readonly clock: Clock,
    private readonly fsync: boolean,
  ) {
    super();
    this.auditFile = auditFile;
    this.dir = dirname(auditFile);
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxBytes = options.rotateSizeBytes ?? (options.rotateSizeMb ?? 100) * MB;
    this.redaction = { ...DEFAULT_AUDIT_REDACTION, ...options.redaction };
    this.committer = new GroupCommit(
      (batch) => this.writeBatch(batch),
      () => undefined,
    );
  }

  /** Creates the directory if needed, resumes the chain from the tail, applies retention. */
  static async open(options: JsonlAuditOptions): Promise<JsonlAuditStore> {
    const auditFile = resolve(options.auditFile);
    const store = new JsonlAuditStore(
      auditFile,
      options,
      options.fs ?? nodeAuditFs,
      options.clock ?? systemClock,
      options.fsync ?? true,
    );
    const warnings: AuditWarning[] = [];
    const anchor = (await options.anchors?.read()) ?? null;
    store.anchoredSeq = anchor?.seq ?? 0;
    store.prunedThrough = anchor?.checkpoint.payload.pruned_through_seq ?? 0;
    // The export starts from the anchor on disk (the metric would otherwise read 0 until the next one).
    if (anchor) options.onCheckpoint?.(anchor);
    const recoverySeq = await store.reopen(warnings, options.anchors ? anchor : undefined);
    await store.applyRetention(warnings);
    // Retention beyond retain_files is recorded, and whatever the last run left unsigned (a
    // crash, an upgrade) is signed: from here the log is anchored.
    await store.committer.submit(store.checkpointRequest());
    // And anchored before anyone goes on: a start that fails later (damaged state, a port in
    // use) and exits must not leave a checkpoint the anchor does not know of.
    await store.committer.drain();
    if (options.signer) store.startTimer();
    store.report = {
      last_seq: store.durableSeq,
      rotated_files: store.rotated.length,
      warnings,
      recovery_entry_seq: recoverySeq,
    };
    return store;
  }

  /** What start-up found and did. */
  get startup(): AuditStartupReport {
    return this.report!;
  }

  async append(input: AuditEntryInput): Promise<AuditEntry> {
    if (this.closed) throw auditClosed();
    const pending = this.pendingFor(prepareEntry(input, this.redaction));
    await this.committer.submit(pending);
    if (!pending.durable) throw pending.error ?? auditWriteFailed(this.auditFile, new Error('not written'));
    return pending.entry!;
  }

  async query(query?: AuditQuery): Promise<AuditPage> {
    const normalized = normalizeAuditQuery(query);
    return this.reading((opened) => queryOpened(opened, normalized, this.summaries));
  }

  async recent(count?: number): Promise<readonly AuditEntry[]> {
    return (await this.query({ limit: recentCount(count) })).entries;
  }

  async stats(query?: AuditStatsQuery): Promise<AuditStats> {
    return this.reading((opened) => statsOpened(opened, query, this.summaries));
  }

  async verify(): Promise<AuditVerifyReport> {
    const { signer, anchors } = this.options;
    if (!signer || !anchors) return this.reading((opened) => verifyOpened(opened));
    const anchor = await anchors.read();
    return this.reading((opened, written) =>
      verifyOpened(opened, {
        keys: trustedKeys([signer.publicKey, ...(this.options.previousKeys ?? [])]),
        anchor: { value: anchor, location: anchors.location },
        ...(written.seq > 0 ? { writtenThrough: written } : {}),
      }),
    );
  }

  async health(): Promise<AuditHealth> {
    if (!this.closed && this.handle === null) {
      // A write failed and closed the file: try to reopen it, so health can recover by itself.
      await this.committer.exclusive(() => this.ensureOpen()).catch(() => undefined);
    }
    const freeBytes = await this.fs.freeBytes(this.dir).catch(() => null);
    const up = !this.closed && this.handle !== null && freeBytes !== 0;
    return {
      status: up ? 'up' : 'down',
      backend: 'file',
      details: {
        audit_file: this.auditFile,
        last_seq: this.durableSeq,
        current_file_bytes: this.fileBytes,
        current_file_entries: this.fileEntries,
        rotated_files: this.rotated.length,
        pending_appends: this.committer.pending().length,
        fsync: this.fsync,
        free_bytes: freeBytes,
        ...(this.closed ? { closed: true } : {}),
        ...(this.lastError ? { last_error: this.lastError, last_error_at: this.lastErrorAt } : {}),
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    try {
      // The last entries are signed and anchored before the file is let go.
      if (this.options.signer && this.handle !== null) {
        await this.committer.submit(this.checkpointRequest()).catch(() => undefined);
      }
      await this.committer.drain();
    } finally {
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      await this.options.lock?.release().catch(() => undefined);
    }
  }

  private get fileEntries(): number {
    return this.currentFirstSeq === null ? 0 : this.durableSeq - this.currentFirstSeq + 1;
  }

  // ---- writing -------------------------------------------------------------------------

  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    try {
      await this.ensureOpen();
      let chunk: PendingAppend[] = [];
      let lines: string[] = [];
      let chunkBytes = 0;
      const add = async (pending: PendingAppend, fields: UnsealedEntry, rotates: boolean) => {
        const link = { seq: this.seq + 1, ts: pending.ts, prevHash: this.lastHash };
        const { entry, line: text } = sealEntryLine(fields, link);
        const line = `${text}\n`;
        const size = Buffer.byteLength(line);
        if (rotates && this.mustRotateBefore(chunk.length, chunkBytes, size)) {
          await this.flush(chunk, lines);
          await this.rotate();
          chunk = [];
          lines = [];
          chunkBytes = 0;
          // The new file starts with what retention prunes and a checkpoint naming it.
          for (const fields of this.pruneFields()) await add(this.pendingFor(null), fields, false);
          if (this.options.signer) await add(this.pendingFor(null), this.checkpointFields(), false);
          return add(pending, fields, false);
        }
        this.seq = entry.seq;
        this.lastHash = entry.hash;
        // Known before the flush, so a checkpoint in this chunk names the file it is in.
        this.currentFirstSeq ??= entry.seq;
        pending.entry = entry;
        chunk.push(pending);
        lines.push(line);
        chunkBytes += size;
        this.noteSealed(entry);
      };
      for (const pending of batch) {
        if (pending.fields === null) {
          for (const fields of this.pruneFields()) await add(this.pendingFor(null), fields, false);
          if (this.unsigned > 0 && this.options.signer) await add(pending, this.checkpointFields(), false);
          else pending.durable = true;
          continue;
        }
        await add(pending, pending.fields, true);
        if (this.options.signer && this.unsigned >= (this.options.checkpointEveryEntries ?? 1000)) {
          await add(this.pendingFor(null), this.checkpointFields(), false);
        }
      }
      await this.flush(chunk, lines);
    } catch (error) {
      // Entries already durable stay acknowledged; the rest fail with the first error.
      const failure = this.recordFailure(error);
      for (const pending of batch) if (!pending.durable) pending.error = failure;
      this.anchorDue = null;
      return;
    }
    await this.anchorAndPrune();
  }

  /** An append stamped now; `fields` null is a checkpoint request (see PendingAppend). */
  private pendingFor(fields: UnsealedEntry | null): PendingAppend {
    return { fields, ts: new Date(this.clock.now()).toISOString(), entry: null, durable: false, error: null };
  }

  private checkpointRequest(): PendingAppend {
    return this.pendingFor(null);
  }

  private noteSealed(entry: AuditEntry): void {
    if (entry.action === CHECKPOINT_ACTION) {
      this.unsigned = 0;
      this.unsignedSince = null;
      this.anchorDue = { seq: entry.seq, hash: entry.hash, checkpoint: readCheckpoint(entry.details)! };
      return;
    }
    this.unsigned += 1;
    this.unsignedSince ??= this.clock.now();
  }

  /** The next checkpoint: signs the chain up to the entry about to be sealed. */
  private checkpointFields(): UnsealedEntry {
    const seq = this.seq + 1;
    const checkpoint = this.options.signer!.sign({
      v: 1,
      seq,
      prev_hash: this.lastHash,
      ts: new Date(this.clock.now()).toISOString(),
      segment_first_seq: this.currentFirstSeq ?? seq,
      pruned_through_seq: this.prunedThrough,
    });
    return checkpointEntry(checkpoint);
  }

  /**
   * `audit.prune` entries for the rotated files beyond `retain_files`. They are recorded (and
   * signed by the checkpoint after them) first; the files are deleted once that is durable, so
   * `verify` can tell retention from deletion.
   */
  private pruneFields(): UnsealedEntry[] {
    const retain = this.options.retainFiles ?? 10;
    const fields: UnsealedEntry[] = [];
    while (this.rotated.length > retain) {
      const oldest = this.rotated.shift()!;
      this.prunedThrough = Math.max(this.prunedThrough, oldest.lastSeq);
      this.toDelete.push(oldest);
      fields.push(
        pruneEntry({ file: oldest.name, first_seq: oldest.firstSeq, last_seq: oldest.lastSeq }, retain),
      );
    }
    this.summaries.retainOnly(this.rotated.map((file) => file.name));
    return fields;
  }

  /** After a durable batch: record the latest checkpoint outside the log, then delete pruned files. */
  private async anchorAndPrune(): Promise<void> {
    const anchor = this.anchorDue;
    this.anchorDue = null;
    if (anchor && this.options.anchors) {
      try {
        await this.options.anchors.write(anchor);
        this.anchoredSeq = anchor.seq;
        this.options.onCheckpoint?.(anchor);
      } catch (error) {
        this.options.onWarning?.({
          code: 'audit_anchor_failed',
          message: `Could not record checkpoint seq ${anchor.seq} in ${this.options.anchors.location}: ${(error as Error).message}; the next checkpoint tries again`,
        });
        return;
      }
    }
    if (this.toDelete.length === 0) return;
    const warnings: AuditWarning[] = [];
    // A file that could not be deleted is tried again after the next write.
    this.toDelete = await this.deleteFiles(this.toDelete, warnings);
    for (const warning of warnings) this.options.onWarning?.(warning);
  }

  /** Deletes files recorded as pruned; returns those that could not be deleted. */
  private async deleteFiles(files: readonly RotatedFile[], warnings: AuditWarning[]): Promise<RotatedFile[]> {
    const failed: RotatedFile[] = [];
    for (const file of files) {
      try {
        await this.fs.unlink(file.path);
      } catch (error) {
        failed.push(file);
        warnings.push({
          code: 'audit_retention_failed',
          message: `Could not delete ${file.name} beyond audit.retain_files=${this.options.retainFiles ?? 10}: ${(error as Error).message}`,
        });
      }
    }
    return failed;
  }

  private startTimer(): void {
    const interval = this.options.checkpointIntervalMs ?? 10_000;
    this.timer = setInterval(
      () => {
        if (this.closed || this.unsignedSince === null) return;
        if (this.clock.now() - this.unsignedSince < interval) return;
        this.committer.submit(this.checkpointRequest()).catch(() => undefined);
      },
      Math.min(interval, 1000),
    );
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private mustRotateBefore(chunkEntries: number, chunkBytes: number, lineBytes: number): boolean {
    if (this.options.autoRotate === false) return false;
    const entries = this.fileEntries + chunkEntries;
    if (entries === 0) return false;
    return entries + 1 > this.maxEntries || this.fileBytes + chunkBytes + lineBytes > this.maxBytes;
  }

  /** One write + one fdatasync. On failure the bytes are truncated away if possible. */
  private async flush(chunk: readonly PendingAppend[], lines: readonly string[]): Promise<void> {
    if (chunk.length === 0) return;
    const handle = this.handle!;
    const data = Buffer.from(lines.join(''));
    const started = performance.now();
    try {
      await handle.write(data);
      if (this.fsync) await handle.datasync();
    } catch (error) {
      await handle.truncate(this.fileBytes).catch(() => undefined);
      await this.dropHandle();
      throw error;
    }
    this.fileBytes += data.length;
    this.durableSeq = this.seq;
    this.durableHash = this.lastHash;
    this.currentFirstSeq ??= chunk[0]!.entry!.seq;
    for (const pending of chunk) pending.durable = true;
    this.lastError = null;
    this.options.onWrite?.({
      entries: chunk.length,
      bytes: data.length,
      seconds: (performance.now() - started) / 1000,
    });
  }

  /** Renames the full file to its seq range, starts a new one, applies retention. */
  private async rotate(): Promise<void> {
    this.generation += 1;
    try {
      const target = await this.freeRotatedName(this.currentFirstSeq!, this.durableSeq);
      await this.fs.rename(this.auditFile, target.path);
      // From here the file is rotated whatever happens next.
      this.rotated.push(target);
      this.currentFirstSeq = null;
      this.fileBytes = 0;
      const old = this.handle;
      this.handle = null;
      await old?.close().catch(() => undefined);
      await this.openCurrent();
    } finally {
      this.generation += 1;
    }
  }

  private async freeRotatedName(firstSeq: number, lastSeq: number): Promise<RotatedFile> {
    const taken = new Set(await this.fs.list(this.dir));
    for (let suffix = 0; ; suffix++) {
      const name = rotatedFileName(this.auditFile, firstSeq, lastSeq, suffix);
      if (taken.has(name)) {
        this.options.onWarning?.({
          code: 'audit_rotation_name_taken',
          message: `${name} already exists; rotating to a name with a suffix instead`,
        });
        continue;
      }
      return { name, path: join(this.dir, name), firstSeq, lastSeq };
    }
  }

  /**
   * At start-up: deletes files an earlier run recorded as pruned but could not delete, and has
   * the first batch record (then delete) the files beyond `retain_files`.
   */
  private async applyRetention(warnings: AuditWarning[]): Promise<void> {
    const leftovers = (await listRotated(this.fs, this.auditFile)).filter(
      (file) => file.lastSeq <= this.prunedThrough,
    );
    this.toDelete = await this.deleteFiles(leftovers, warnings);
  }

  private async openCurrent(): Promise<void> {
    this.handle = await this.fs.open(this.auditFile, 'append');
    // The file may have just been created (or renamed away from): make its entry durable.
    if (this.fsync) await this.fs.syncDir(this.dir);
  }

  private async dropHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.seq = this.durableSeq;
    this.lastHash = this.durableHash;
    await handle?.close().catch(() => undefined);
  }

  private async ensureOpen(): Promise<void> {
    if (this.handle !== null) return;
    const warnings: AuditWarning[] = [];
    await this.reopen(warnings);
    for (const warning of warnings) this.options.onWarning?.(warning);
  }

  /**
   * Re-reads the truth from disk (rotated files, the tail) and opens the current file for
   * appending; after a torn or damaged tail, appends a newline and an `audit.recover` entry.
   * Returns that entry's seq, if one was written.
   */
  private async reopen(warnings: AuditWarning[], anchor?: AuditAnchor | null): Promise<number | null> {
    this.generation += 1;
    try {
      try {
        await this.fs.mkdirp(this.dir);
        const all = await listRotated(this.fs, this.auditFile);
        this.rotated = all.filter((file) => file.lastSeq > this.prunedThrough);
        const tail = await readAuditTail(this.fs, this.auditFile, this.rotated);
        const lost = await this.anchorLoss(tail, anchor);
        warnings.push(...tail.warnings);
        this.seq = this.durableSeq = tail.lastSeq;
        this.lastHash = this.durableHash = tail.lastHash;
        this.currentFirstSeq = tail.currentFirstSeq;
        this.fileBytes = tail.currentBytes;
        if (anchor === null || lost) {
          // Trust on first use (a new log, an upgrade, an accepted loss): what retention already
          // removed before this run is taken as found, and signed into the first checkpoint.
          this.prunedThrough = (all[0]?.firstSeq ?? this.currentFirstSeq ?? this.seq + 1) - 1;
        }
        if (lost) this.anchoredSeq = 0;
        this.unsigned = Math.max(0, this.seq - this.anchoredSeq);
        this.unsignedSince = this.unsigned > 0 ? this.clock.now() : null;
        await this.openCurrent();
        // A torn line must be followed by its recovery entry (verify checks that first).
        const recovered = await this.writeRecovery(tail);
        const lateFrom = Math.max(this.anchoredSeq, this.prunedThrough) + 1;
        const starting = anchor !== undefined; // a reopen after a failed write signs its own entries
        if (starting && this.options.signer && tail.lastSeq >= lateFrom) {
          // Nobody signed these as they were written: say so inside the chain, before the
          // checkpoint that signs them as found (verify reports the range).
          const cause = anchor === null || lost ? 'no_anchor' : 'crash';
          await this.writeSystem(signedLateEntry({ from_seq: lateFrom, to_seq: tail.lastSeq, cause }));
        }
        if (lost) {
          warnings.push({
            code: 'audit_anchor_lost',
            message: `${lost}; accepted (audit.accept_anchor_loss) and recorded`,
          });
          await this.writeSystem(
            reanchorEntry(lost, { log_last_seq: tail.lastSeq, anchor_seq: anchor?.seq ?? null }),
          );
        }
        return recovered;
      } catch (error) {
        await this.dropHandle();
        if ((error as { code?: unknown }).code === 'audit_anchor_mismatch') throw error;
        throw this.recordFailure(error);
      }
    } finally {
      this.generation += 1;
    }
  }

  /** A lost or overtaken anchor refuses start-up (`audit_anchor_mismatch`) unless `acceptAnchorLoss`. */
  private async anchorLoss(tail: AuditTail, anchor: AuditAnchor | null | undefined): Promise<string | null> {
    const anchors = this.options.anchors;
    if (!this.options.signer || !anchors) return null;
    const newest = this.rotated[this.rotated.length - 1];
    const problem = await findAnchorLoss(this.fs, {
      auditFile: this.auditFile,
      anchorLocation: anchors.location,
      anchor,
      anchoredSeq: this.anchoredSeq,
      logLastSeq: tail.lastSeq,
      newestFiles: [this.auditFile, ...(newest ? [newest.path] : [])],
    });
    if (problem === null || this.options.acceptAnchorLoss) return problem;
    throw auditAnchorProblem(problem);
  }

  /**
   * Seals and writes one system entry at once (start-up only, before any append); `prefix`
   * ends a line an interrupted write left without its newline. Returns the entry's seq.
   */
  private async writeSystem(fields: UnsealedEntry, prefix = ''): Promise<number> {
    const pending = this.pendingFor(fields);
    const { entry, line } = sealEntryLine(fields, {
      seq: this.seq + 1,
      ts: pending.ts,
      prevHash: this.lastHash,
    });
    this.seq = entry.seq;
    this.lastHash = entry.hash;
    pending.entry = entry;
    await this.flush([pending], [`${prefix}${line}\n`]);
    this.noteSealed(entry);
    return entry.seq;
  }

  private async writeRecovery(tail: AuditTail): Promise<number | null> {
    const input = recoveryEntryInput(tail, basename(this.auditFile));
    if (input === null) return null;
    return this.writeSystem(prepareEntry(input, this.redaction), tail.needsNewline ? '\n' : '');
  }

  private recordFailure(error: unknown): unknown {
    const failure =
      error instanceof Error && (error as { code?: unknown }).code === 'audit_write_failed'
        ? error
        : auditWriteFailed(this.auditFile, error);
    this.lastError = (failure as Error).message;
    this.lastErrorAt = new Date(this.clock.now()).toISOString();
    return failure;
  }

  // ---- reading -------------------------------------------------------------------------

  /** Runs `read` over a consistent set of open files (see the class comment). */
  private async reading<T>(
    read: (opened: readonly OpenSegment[], written: { seq: number; hash: string }) => Promise<T>,
  ): Promise<T> {
    // What was durable when the snapshot was taken: the files must still hold it.
    const written = { seq: this.durableSeq, hash: this.durableHash };
    const opened = await this.openSnapshot();
    try {
      return await read(opened, written);
    } finally {
      await closeSegments(opened);
    }
  }

  private async openSnapshot(): Promise<OpenSegment[]> {
    for (;;) {
      const generation = this.generation;
      if (generation % 2 === 1) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        continue;
      }
      const segments = [...this.rotated.map(rotatedSegment), currentSegment(this.auditFile, this.fileBytes)];
      const opened = await openSegments(this.fs, segments);
      if (generation === this.generation) return opened;
      await closeSegments(opened);
    }
  }
}
