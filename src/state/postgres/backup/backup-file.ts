import { UnavailableError } from '../../../common/domain/domain-error.js';
import { backupKindOf } from '../../backup-kind.js';
import { contentDigest, PG_BACKUP_FORMAT, PG_BACKUP_VERSION, type BackupFile } from './backup-format.js';

export function backupDamaged(source: string, what: string): UnavailableError {
  return new UnavailableError(
    'state_damaged',
    `The backup ${source} cannot be restored: ${what}. Nothing was changed`,
  );
}

/** Parses and verifies a backup file: its marker, version and backend, then the content digest. */
export function parseBackup(bytes: Buffer, source: string): BackupFile {
  if (backupKindOf(bytes) === 'file')
    throw backupDamaged(
      source,
      'it is a file-store backup (state.backend: file); a postgres database restores only backups written by `state backup` on state.backend: postgres',
    );
  let parsed: Partial<BackupFile>;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Partial<BackupFile>;
  } catch (error) {
    throw backupDamaged(source, `it is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object') throw backupDamaged(source, 'it is not a JSON object');
  if (parsed.format !== PG_BACKUP_FORMAT)
    throw backupDamaged(source, `it has no "format": "${PG_BACKUP_FORMAT}" marker`);
  if (parsed.version !== PG_BACKUP_VERSION)
    throw backupDamaged(source, `its version ${String(parsed.version)} is not ${PG_BACKUP_VERSION}`);
  if (parsed.backend !== 'postgres')
    throw backupDamaged(source, `its backend is ${String(parsed.backend)}, not postgres`);
  const content = parsed.content;
  if (
    !content ||
    !Array.isArray(content.tasks) ||
    !Array.isArray(content.dependencies) ||
    !Array.isArray(content.revocations) ||
    !Array.isArray(content.idempotency_keys)
  )
    throw backupDamaged(
      source,
      'its content is missing tasks, dependencies, revocations or idempotency_keys',
    );
  const digest = contentDigest(content);
  if (parsed.digest !== digest)
    throw backupDamaged(
      source,
      `its digest ${String(parsed.digest)} does not match its content (${digest}): the file was changed or truncated`,
    );
  if (typeof parsed.schema_version !== 'number') throw backupDamaged(source, 'it has no schema_version');
  return parsed as BackupFile;
}
