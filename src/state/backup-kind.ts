import { PG_BACKUP_FORMAT } from './postgres/backup/backup-format.js';
import { SNAPSHOT_FORMAT } from './file/snapshot-file.js';

/** Which store wrote a backup: `state backup` on state.backend file, on postgres, or neither. */
export type BackupKind = 'file' | 'postgres' | 'unknown';

/** How much of the head is read: both formats write `"format"` as their first key. */
const HEAD_BYTES = 4096;

/**
 * Reads the top-level `"format"` marker at the head of the file, so each backend can refuse the
 * other's backup by name instead of calling it damaged. Only the first marker counts: a task
 * text quoting the other format further on (escaped inside a JSON string) is not mistaken for it.
 */
export function backupKindOf(bytes: Buffer): BackupKind {
  const head = bytes.subarray(0, HEAD_BYTES).toString('utf8');
  const format = /^\s*\{\s*"format"\s*:\s*"([^"\\]*)"/.exec(head)?.[1];
  if (format === SNAPSHOT_FORMAT) return 'file';
  if (format === PG_BACKUP_FORMAT) return 'postgres';
  return 'unknown';
}
