import { dirname, resolve } from 'node:path';
import { systemClock, type Clock } from '../../common/domain/clock.js';
import { DomainError } from '../../common/domain/domain-error.js';
import { uuidGenerator, type IdGenerator } from '../../common/domain/ids.js';
import { isoTime } from '../../tasks/domain/task.model.js';
import { applyToMaps, emptyStateMaps, type StateMaps, type StateOp } from '../index/state-op.js';
import { IndexedStateRepository } from '../indexed-state.repository.js';
import { stateWriteFailed } from '../state-errors.js';
import type { StateHealth } from '../state.repository.js';
import { GroupCommit } from './group-commit.js';
import { JOURNAL_FORMAT, JOURNAL_VERSION, encodeLine } from './journal-format.js';
import { loadStateFiles, refuseDamage, type StateWarning } from './load-state.js';
import { writeSnapshot } from './snapshot-file.js';
import { StateDirLock, type LockOptions } from './state-dir-lock.js';
import {
  AfterRenameError,
  nodeStateFs,
  writeFileAtomic,
  type StateFileHandle,
  type StateFs,
} from './state-fs.js';

export interface FileStateOptions {
  /** The snapshot file (`state.state_file`); the journal is `<stateFile>.journal`. */
  readonly stateFile: string;
  readonly clock?: Clock;
  /** Source of snapshot ids. */
  readonly ids?: IdGenerator;
  readonly fs?: StateFs;
  /** fsync before acknowledging (default true); off only to measure what durability costs. */
  readonly fsync?: boolean;
  /** Called for every warning: at start-up (also in `startup.warnings`) and on failed checkpoints. */
  readonly onWarning?: (warning: StateWarning) => void;
  readonly lock?: LockOptions;
}

export interface StartupReport {
  readonly tasks: number;
  readonly replayedRecords: number;
  readonly warnings: readonly StateWarning[];
  /** Pid of the dead process whose lock was taken over, if any. */
  readonly lockTakenOverFrom: number | null;
  /** The state directory's identity (carried by the snapshot and the journal header). */
  readonly stateId: string;
}

/** How long after start-up a journal kept with records is compacted (at most the interval). */
const REPLAYED_JOURNAL_CHECKPOINT_MS = 5_000;

/** A committed change waiting for its journal write. */
interface PendingRecord {
  readonly seq: number;
  readonly line: string;
  readonly inverse: readonly StateOp[];
}

/**
 * The embedded durable store (DESIGN.md §7): a JSON snapshot plus a journal of every change.
 *
 * - A mutation is applied in memory at once (so the next mutation sees it), journaled, and
 *   acknowledged only after the journal write is fdatasync'ed. Mutations arriving together
 *   share one write and one fdatasync (group commit).
 * - A failed write rolls the change (and every change queued behind it) back in memory and
 *   rejects with `state_write_failed`; the journal is then rebuilt by a checkpoint before the
 *   next write, so the store recovers by itself once the disk is writable again.
 * - `checkpoint()` writes a new snapshot of the durable state atomically and starts an empty
 *   journal; call it periodically (`startAutoCheckpoint`) — `close()` does it at shutdown.
 * - One process owns the directory (`StateDirLock`).
 */
export class FileStateRepository extends IndexedStateRepository {
  readonly journalFile: string;
  private readonly committer: GroupCommit<PendingRecord>;
  private journal: StateFileHandle | null = null;
  private journalSize = 0;
  /** The journal may not match the snapshot or may end in garbage: rebuild before appending. */
  private journalBroken = true;
  private seq = 0;
  private durableSeq = 0;
  private snapshotId: string | null = null;
  private stateId = '';
  private recordsSinceCheckpoint = 0;
  private lastCheckpointAt: string | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private checkpointing = false;
  private report: StartupReport | null = null;

  private constructor(
    readonly stateFile: string,
    private readonly lock: StateDirLock,
    private readonly fs: StateFs,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly fsync: boolean,
    private readonly onWarning: (warning: StateWarning) => void,
  ) {
    super();
    this.now = () => clock.now();
    this.changeId = () => ids.next();
    this.journalFile = `${stateFile}.journal`;
    this.committer = new GroupCommit(
      (batch) => this.writeBatch(batch),
      (failed) => {
        this.rollBack(failed.map((record) => record.inverse));
        this.seq = this.durableSeq;
      },
    );
  }

  /**
   * Locks the directory, loads the snapshot and replays the journal. A journal that can take
   * more records is kept (compacted by the next checkpoint); any other is compacted now.
   * Damaged state (anything but a torn last journal line) is refused with `state_damaged`,
   * naming the file and the line, and nothing is written.
   */
  static async open(options: FileStateOptions): Promise<FileStateRepository> {
    const stateFile = resolve(options.stateFile);
    const fs = options.fs ?? nodeStateFs;
    try {
      await fs.mkdirp(dirname(stateFile));
    } catch (error) {
      throw stateWriteFailed(`the state directory ${dirname(stateFile)}`, error);
    }
    const lock = await StateDirLock.acquire(dirname(stateFile), options.lock);
    const repo = new FileStateRepository(
      stateFile,
      lock,
      fs,
      options.clock ?? systemClock,
      options.ids ?? uuidGenerator,
      options.fsync ?? true,
      options.onWarning ?? (() => undefined),
    );
    try {
      await repo.load();
    } catch (error) {
      await repo.journal?.close().catch(() => undefined);
      await lock.release().catch(() => undefined);
      throw error;
    }
    return repo;
  }

  /** What start-up found and recovered from. */
  get startup(): StartupReport {
    return this.report!;
  }

  async checkpoint(): Promise<void> {
    this.assertOpen();
    await this.committer.exclusive(() => this.rewrite());
  }

  /**
   * Checkpoints every `intervalMs` when something changed; failures become warnings. A journal
   * kept at start-up is compacted sooner (after `REPLAYED_JOURNAL_CHECKPOINT_MS`), so a server
   * restarting often does not replay an ever longer journal.
   */
  startAutoCheckpoint(intervalMs: number): void {
    this.stopAutoCheckpoint();
    this.timer = setInterval(() => this.autoCheckpoint(), intervalMs);
    this.timer.unref();
    if (this.recordsSinceCheckpoint > 0) {
      this.soon = setTimeout(
        () => this.autoCheckpoint(),
        Math.min(intervalMs, REPLAYED_JOURNAL_CHECKPOINT_MS),
      );
      this.soon.unref();
    }
  }

  stopAutoCheckpoint(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = null;
    this.soon = null;
  }

  private autoCheckpoint(): void {
    if (this.closed || this.checkpointing) return;
    if (this.recordsSinceCheckpoint === 0 && !this.journalBroken) return;
    this.checkpointing = true;
    this.checkpoint()
      .catch((error: unknown) =>
        this.onWarning({ code: 'checkpoint_failed', message: (error as Error).message }),
      )
      .finally(() => (this.checkpointing = false));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopAutoCheckpoint();
    try {
      await this.committer.drain();
      await this.committer.exclusive(() => this.rewrite());
    } finally {
      await this.journal?.close().catch(() => undefined);
      this.journal = null;
      await this.lock.release().catch(() => undefined);
    }
  }

  async health(): Promise<StateHealth> {
    const up = !this.closed && !this.journalBroken;
    return {
      status: up ? 'up' : 'down',
      backend: 'file',
      details: {
        state_file: this.stateFile,
        journal_file: this.journalFile,
        tasks: this.index.taskCount,
        journal_records: this.recordsSinceCheckpoint,
        pending_writes: this.committer.pending().length,
        last_checkpoint_at: this.lastCheckpointAt,
        ...(this.closed ? { closed: true } : {}),
        ...(this.lastError ? { last_error: this.lastError } : {}),
      },
    };
  }

  protected persist(ops: readonly StateOp[], inverse: readonly StateOp[]): Promise<void> {
    this.seq += 1;
    const line = encodeLine({ seq: this.seq, at: isoTime(this.clock.now()), ops });
    return this.committer.submit({ seq: this.seq, line, inverse });
  }

  private async load(): Promise<void> {
    const loaded = await loadStateFiles(this.fs, this.stateFile, this.journalFile);
    refuseDamage(loaded);
    const warnings: StateWarning[] = [...loaded.warnings];
    const { snapshot } = loaded;
    // Fold the journal into plain maps first, so the indexes see each task once (its last
    // image) rather than once per change: the same state as a checkpoint and a reopen.
    const maps = snapshot?.maps ?? emptyStateMaps();
    for (const record of loaded.records) for (const op of record.ops) applyToMaps(maps, op);
    for (const task of maps.tasks.values()) this.index.apply({ op: 'put_task', task });
    for (const [jti, expires_at] of maps.revocations)
      this.index.apply({ op: 'put_revocation', jti, expires_at });
    for (const record of maps.idempotency.values()) this.index.apply({ op: 'put_idempotency', record });
    for (const entry of maps.outbox.values()) this.index.apply({ op: 'put_outbox', entry });
    this.seq = this.durableSeq = loaded.lastSeq;
    this.snapshotId = snapshot?.snapshot_id ?? null;
    // A fresh directory gets its identity now; the first snapshot and journal carry it.
    this.stateId = loaded.stateId ?? this.ids.next();
    if (this.lock.takenOverFrom) {
      warnings.push({
        code: 'stale_lock_taken_over',
        message: `Took over the lock left by pid ${this.lock.takenOverFrom.pid}, which is no longer running`,
      });
    }
    if (loaded.appendable) {
      // The journal continues the snapshot and ends with a complete record: keep appending to
      // it and leave compacting it to the next checkpoint (auto or at close), instead of
      // writing the whole state again before the store can open.
      await this.reuseJournal(loaded.journalBytes);
      this.recordsSinceCheckpoint = loaded.records.length;
    } else {
      await this.rewrite();
    }
    this.report = {
      tasks: this.index.taskCount,
      replayedRecords: loaded.records.length,
      warnings,
      lockTakenOverFrom: this.lock.takenOverFrom?.pid ?? null,
      stateId: this.stateId,
    };
    for (const warning of warnings) this.onWarning(warning);
  }

  private async writeBatch(batch: readonly PendingRecord[]): Promise<void> {
    try {
      if (this.journalBroken || this.journal === null) await this.rewrite();
      const data = Buffer.from(batch.map((record) => record.line).join(''));
      const journal = this.journal!;
      try {
        await journal.write(data);
        if (this.fsync) await journal.datasync();
      } catch (error) {
        // The tail may hold part of this batch; a rewrite replaces the journal before next use.
        this.journalBroken = true;
        await journal.truncate(this.journalSize).catch(() => undefined);
        throw stateWriteFailed(`the state journal ${this.journalFile}`, error);
      }
      this.journalSize += data.length;
      this.durableSeq = batch[batch.length - 1]!.seq;
      this.recordsSinceCheckpoint += batch.length;
      this.lastError = null;
    } catch (error) {
      this.lastError = (error as Error).message;
      throw error instanceof DomainError
        ? error
        : stateWriteFailed(`the state journal ${this.journalFile}`, error);
    }
  }

  /**
   * Checkpoint: snapshot of the durable state (pending changes excluded), then a fresh journal
   * continuing it. Runs only between batches.
   */
  private async rewrite(): Promise<void> {
    const snapshotId = this.ids.next();
    try {
      await writeSnapshot(
        this.fs,
        this.stateFile,
        {
          state_id: this.stateId,
          snapshot_id: snapshotId,
          previous_snapshot_id: this.snapshotId,
          last_seq: this.durableSeq,
          written_at: isoTime(this.clock.now()),
          maps: this.durableMaps(),
        },
        this.fsync,
      );
    } catch (error) {
      if (error instanceof AfterRenameError) this.journalBroken = true;
      this.lastError = stateWriteFailed(`the state file ${this.stateFile}`, error).message;
      throw stateWriteFailed(`the state file ${this.stateFile}`, error);
    }
    // The new snapshot is in place: the old journal must not receive another record.
    this.snapshotId = snapshotId;
    this.journalBroken = true;
    await this.journal?.close().catch(() => undefined);
    this.journal = null;
    const header = Buffer.from(
      encodeLine({
        journal: JOURNAL_FORMAT,
        version: JOURNAL_VERSION,
        state_id: this.stateId,
        snapshot_id: snapshotId,
        base_seq: this.durableSeq,
      }),
    );
    try {
      await writeFileAtomic(this.fs, this.journalFile, (handle) => handle.write(header), this.fsync);
      this.journal = await this.openJournal();
    } catch (error) {
      this.lastError = stateWriteFailed(`the state journal ${this.journalFile}`, error).message;
      throw stateWriteFailed(`the state journal ${this.journalFile}`, error);
    }
    this.journalSize = header.length;
    this.journalBroken = false;
    this.recordsSinceCheckpoint = 0;
    this.lastCheckpointAt = isoTime(this.clock.now());
    this.lastError = null;
  }

  /** Opens the journal read at start-up for appending after its last record. */
  private async reuseJournal(bytes: number): Promise<void> {
    try {
      this.journal = await this.openJournal();
      // The replayed records may be written but not yet durable (a crash between a write and
      // its fdatasync): make them durable before anything is served or decided on top of them.
      if (this.fsync && bytes > 0) await this.journal.datasync();
    } catch (error) {
      throw stateWriteFailed(`the state journal ${this.journalFile}`, error);
    }
    this.journalSize = bytes;
    this.journalBroken = false;
  }

  private openJournal(): Promise<StateFileHandle> {
    return this.fs.open(this.journalFile, 'append');
  }

  /** The state as on disk: the in-memory state with not-yet-durable changes undone. */
  private durableMaps(): StateMaps {
    const maps = this.index.exportMaps();
    const pending = this.committer.pending();
    for (let i = pending.length - 1; i >= 0; i--) {
      const inverse = pending[i]!.inverse;
      for (let j = inverse.length - 1; j >= 0; j--) applyToMaps(maps, inverse[j]!);
    }
    return maps;
  }
}
