import { dirname, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DomainError, UnavailableError } from '../../common/domain/domain-error.js';
import { backupKindOf } from '../backup-kind.js';
import { applyToMaps } from '../index/state-op.js';
import { restoreAuditEntry } from '../restore-audit-entry.js';
import { stateWriteFailed } from '../state-errors.js';
import { JOURNAL_FORMAT, JOURNAL_VERSION, encodeLine } from './journal-format.js';
import { loadStateFiles, refuseDamage, type StateWarning } from './load-state.js';
import { DAMAGE_REMEDY, parseSnapshot, writeSnapshot } from './snapshot-file.js';
import { StateDirLock } from './state-dir-lock.js';
import { nodeStateFs, writeFileAtomic, type StateFs } from './state-fs.js';

export interface BackupReport {
  readonly file: string;
  readonly tasks: number;
  /** Journal records folded into the backup on top of the snapshot. */
  readonly journalRecords: number;
  readonly warnings: readonly StateWarning[];
}

const ATTEMPTS = 5;

/**
 * Writes one self-contained JSON file (snapshot format) with the snapshot and every durable
 * journal record applied. Safe while a server owns the directory: it only reads, and when a
 * checkpoint swaps the files between its two reads it sees the mismatch and reads again.
 * The result is a plain file, fine for `tar` and for `restoreState`.
 */
export async function backupState(
  stateFile: string,
  destFile: string,
  fs: StateFs = nodeStateFs,
): Promise<BackupReport> {
  const source = resolve(stateFile);
  const journalFile = `${source}.journal`;
  let loaded = await loadStateFiles(fs, source, journalFile);
  for (let attempt = 1; loaded.journalMismatch && attempt < ATTEMPTS; attempt++) {
    loaded = await loadStateFiles(fs, source, journalFile);
  }
  if (loaded.snapshot === null && loaded.journalBytes === 0) {
    throw new UnavailableError('state_not_found', `No state file at ${source}; nothing to back up`);
  }
  refuseDamage(loaded);
  const snapshot = loaded.snapshot!;
  const maps = snapshot.maps;
  for (const record of loaded.records) for (const op of record.ops) applyToMaps(maps, op);
  const file = resolve(destFile);
  try {
    await writeSnapshot(fs, file, {
      state_id: snapshot.state_id,
      snapshot_id: randomUUID(),
      previous_snapshot_id: snapshot.snapshot_id,
      last_seq: loaded.lastSeq,
      written_at: new Date().toISOString(),
      maps,
    });
  } catch (error) {
    throw stateWriteFailed(`the backup file ${file}`, error);
  }
  return { file, tasks: maps.tasks.size, journalRecords: loaded.records.length, warnings: loaded.warnings };
}

export interface RestoreReport {
  readonly tasks: number;
  /** Where the replaced state file and journal were kept, when there were any. */
  readonly previous: { readonly stateFile: string; readonly journalFile: string } | null;
}

/**
 * Installs a backup as the state: validates it, takes the directory lock (refusing with
 * `state_locked` while a live process holds it), keeps the current files as `*.pre-restore`,
 * and writes the backup as a new snapshot with an empty journal.
 */
export async function restoreState(
  stateFile: string,
  srcFile: string,
  fs: StateFs = nodeStateFs,
  actor = 'unknown',
): Promise<RestoreReport> {
  const target = resolve(stateFile);
  const source = resolve(srcFile);
  const bytes = await fs.readFile(source);
  if (bytes === null) throw new UnavailableError('backup_not_found', `No backup file at ${source}`);
  const backup = parseBackup(bytes, source);
  await fs.mkdirp(dirname(target));
  const lock = await StateDirLock.acquire(dirname(target), { purpose: 'restore' });
  try {
    const journalFile = `${target}.journal`;
    const previous = { stateFile: `${target}.pre-restore`, journalFile: `${journalFile}.pre-restore` };
    const hadState = (await fs.readFile(target)) !== null;
    try {
      if (hadState) await fs.copyFile(target, previous.stateFile);
      if ((await fs.readFile(journalFile)) !== null) await fs.copyFile(journalFile, previous.journalFile);
      const snapshotId = randomUUID();
      // Audited like every change that replaces what the server acknowledged: the entry rides in
      // the restored state's outbox, so it reaches the audit log whatever happens next.
      const changeId = randomUUID();
      backup.maps.outbox.set(changeId, {
        change_id: changeId,
        stored_at: new Date().toISOString(),
        entry: restoreAuditEntry(actor, source, bytes, {
          backup_snapshot_id: backup.snapshot_id,
          tasks: backup.maps.tasks.size,
          replaced_kept_as: hadState ? previous.stateFile : null,
        }),
      });
      await writeSnapshot(fs, target, {
        state_id: backup.state_id,
        snapshot_id: snapshotId,
        previous_snapshot_id: null,
        last_seq: backup.last_seq,
        written_at: new Date().toISOString(),
        maps: backup.maps,
      });
      const header = encodeLine({
        journal: JOURNAL_FORMAT,
        version: JOURNAL_VERSION,
        state_id: backup.state_id,
        snapshot_id: snapshotId,
        base_seq: backup.last_seq,
      });
      await writeFileAtomic(fs, journalFile, (handle) => handle.write(Buffer.from(header)));
    } catch (error) {
      throw stateWriteFailed(`the state file ${target}`, error);
    }
    return { tasks: backup.maps.tasks.size, previous: hadState ? previous : null };
  } finally {
    await lock.release();
  }
}

/** What to do about a backup that does not verify: the state remedy would point back at restore. */
const BACKUP_REMEDY =
  'Nothing was changed. Restore another backup; a backup written by an earlier version (without ' +
  'checksums) can be migrated with the server stopped: copy it over the state file, remove the ' +
  'journal, and run `orchestrator state repair --accept-loss` (audited)';

function parseBackup(bytes: Buffer, source: string): ReturnType<typeof parseSnapshot> {
  // Another format: say so rather than calling it damaged.
  if (backupKindOf(bytes) === 'postgres')
    throw new UnavailableError(
      'state_damaged',
      `${source} is a postgres state backup (state.backend: postgres); the file store restores only ` +
        'backups written by `state backup` on state.backend: file. Nothing was changed',
    );
  try {
    return parseSnapshot(bytes, source);
  } catch (error) {
    if (!(error instanceof DomainError) || error.code !== 'state_damaged') throw error;
    const why = error.message.replace(DAMAGE_REMEDY, BACKUP_REMEDY).replace(/^Damaged state: /, '');
    throw new UnavailableError('state_damaged', `The backup cannot be restored: ${why}`);
  }
}
