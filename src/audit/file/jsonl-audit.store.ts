import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../common/domain/clock.js';
import { GroupCommit } from '../../state/file/group-commit.js';
import { type StateFileHandle } from '../../state/file/state-fs.js';
import { auditClosed, auditWriteFailed } from '../audit-errors.js';
import { AuditStore, type AuditHealth, type AuditWarning } from '../audit.store.js';
import {
  RECOVER_ACTION,
  type AuditEntry,
  type AuditEntryInput,
  type UnsealedEntry,
} from '../domain/audit-entry.js';
import { prepareEntry } from '../domain/audit-entry-input.js';
import { normalizeAuditQuery, recentCount, type AuditPage, type AuditQuery } from '../domain/audit-query.js';
import { DEFAULT_AUDIT_REDACTION, type AuditRedactionOptions } from '../domain/audit-redaction.js';
import { type AuditStats, type AuditStatsQuery } from '../domain/audit-stats.js';
import { type AuditVerifyReport } from '../domain/audit-verify.js';
import { sealEntryLine } from '../domain/hash-chain.js';
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
import { SegmentSummaries } from './segment-summaries.js';

export interface JsonlAuditOptions {
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

/** An append waiting for its batch. The writer seals it (seq, prev_hash) in submission order. */
interface PendingAppend {
  readonly fields: UnsealedEntry;
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
    const recoverySeq = await store.reopen(warnings);
    await store.applyRetention(warnings);
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
    const pending: PendingAppend = {
      fields: prepareEntry(input, this.redaction),
      ts: new Date(this.clock.now()).toISOString(),
      entry: null,
      durable: false,
      error: null,
    };
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
    return this.reading((opened) => verifyOpened(opened));
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
    try {
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
      for (const pending of batch) {
        const link = { seq: this.seq + 1, ts: pending.ts, prevHash: this.lastHash };
        const { entry, line: text } = sealEntryLine(pending.fields, link);
        const line = `${text}\n`;
        const size = Buffer.byteLength(line);
        if (this.mustRotateBefore(chunk.length, chunkBytes, size)) {
          await this.flush(chunk, lines);
          await this.rotate();
          chunk = [];
          lines = [];
          chunkBytes = 0;
        }
        this.seq = entry.seq;
        this.lastHash = entry.hash;
        pending.entry = entry;
        chunk.push(pending);
        lines.push(line);
        chunkBytes += size;
      }
      await this.flush(chunk, lines);
    } catch (error) {
      // Entries already durable stay acknowledged; the rest fail with the first error.
      const failure = this.recordFailure(error);
      for (const pending of batch) if (!pending.durable) pending.error = failure;
    }
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
      const warnings: AuditWarning[] = [];
      await this.applyRetention(warnings);
      for (const warning of warnings) this.options.onWarning?.(warning);
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

  private async applyRetention(warnings: AuditWarning[]): Promise<void> {
    const retain = this.options.retainFiles ?? 10;
    while (this.rotated.length > retain) {
      const oldest = this.rotated[0]!;
      try {
        await this.fs.unlink(oldest.path);
      } catch (error) {
        warnings.push({
          code: 'audit_retention_failed',
          message: `Could not delete ${oldest.name} beyond audit.retain_files=${retain}: ${(error as Error).message}`,
        });
        return;
      }
      this.rotated.shift();
    }
    this.summaries.retainOnly(this.rotated.map((file) => file.name));
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
  private async reopen(warnings: AuditWarning[]): Promise<number | null> {
    this.generation += 1;
    try {
      try {
        await this.fs.mkdirp(this.dir);
        this.rotated = await listRotated(this.fs, this.auditFile);
        const tail = await readAuditTail(this.fs, this.auditFile, this.rotated);
        warnings.push(...tail.warnings);
        this.seq = this.durableSeq = tail.lastSeq;
        this.lastHash = this.durableHash = tail.lastHash;
        this.currentFirstSeq = tail.currentFirstSeq;
        this.fileBytes = tail.currentBytes;
        await this.openCurrent();
        return await this.writeRecovery(tail);
      } catch (error) {
        await this.dropHandle();
        throw this.recordFailure(error);
      }
    } finally {
      this.generation += 1;
    }
  }

  private async writeRecovery(tail: AuditTail): Promise<number | null> {
    if (!tail.needsNewline && tail.torn === null && tail.corruptLines === 0) return null;
    const name = basename(this.auditFile);
    const fields = prepareEntry(
      {
        actor: 'system',
        role: 'system',
        action: RECOVER_ACTION,
        decision: 'n/a',
        success: true,
        reason: tail.torn
          ? `Resumed after an interrupted write left a torn last line in ${name}`
          : tail.corruptLines > 0
            ? `Resumed after ${tail.corruptLines} damaged line(s) at the end of ${name}`
            : `Resumed after an interrupted write cut the newline of the last line in ${name}`,
        details: {
          file: name,
          resumed_after_seq: tail.lastSeq,
          corrupt_lines: tail.corruptLines,
          ...(tail.torn
            ? { torn_offset: tail.torn.offset, torn_bytes: tail.torn.bytes, torn_sha256: tail.torn.sha256 }
            : {}),
        },
      },
      this.redaction,
    );
    const pending: PendingAppend = {
      fields,
      ts: new Date(this.clock.now()).toISOString(),
      entry: null,
      durable: false,
      error: null,
    };
    const link = { seq: this.seq + 1, ts: pending.ts, prevHash: this.lastHash };
    const { entry, line: text } = sealEntryLine(fields, link);
    const line = `${text}\n`;
    this.seq = entry.seq;
    this.lastHash = entry.hash;
    pending.entry = entry;
    await this.flush([pending], [tail.needsNewline ? `\n${line}` : line]);
    return entry.seq;
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
  private async reading<T>(read: (opened: readonly OpenSegment[]) => Promise<T>): Promise<T> {
    const opened = await this.openSnapshot();
    try {
      return await read(opened);
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
