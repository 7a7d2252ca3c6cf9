import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UnavailableError } from '../../../common/domain/domain-error.js';
import { type AppConfig } from '../../../config/app-config.js';
import { databaseTarget } from '../../../database/database-target.js';
import { restoreAuditEntry } from '../../restore-audit-entry.js';
import { insertOutbox } from '../audit-outbox-rows.js';
import { backupDamaged, parseBackup } from './backup-file.js';
import { contentDigest, PG_BACKUP_FORMAT, PG_BACKUP_VERSION, type BackupFile } from './backup-format.js';
import { currentSchema, withCliClient } from './cli-session.js';
import { writePrivateFileAtomic } from './private-file.js';
import { readBackupContent } from './read-backup-content.js';
import { replaceContent } from './replace-content.js';
import { refuseRunningServers } from './running-servers.js';

export interface PgBackupReport {
  readonly file: string;
  readonly tasks: number;
  readonly digest: string;
}

export interface PgRestoreReport {
  readonly tasks: number;
  readonly digest: string;
}

/** Writes the state tables as one JSON file from one consistent snapshot, atomically and mode 0600. */
export async function backupPostgresState(config: AppConfig, destFile: string): Promise<PgBackupReport> {
  const target = databaseTarget(config);
  const { version, content } = await withCliClient(target, async (client) => {
    const schema = await currentSchema(client, target);
    return { version: schema, content: await readBackupContent(client) };
  });
  const digest = contentDigest(content);
  const body: BackupFile = {
    format: PG_BACKUP_FORMAT,
    version: PG_BACKUP_VERSION,
    backend: 'postgres',
    schema_version: version,
    written_at: new Date().toISOString(),
    digest,
    content,
  };
  const file = resolve(destFile);
  await writePrivateFileAtomic(file, `${JSON.stringify(body)}\n`);
  return { file, tasks: content.tasks.length, digest };
}

/**
 * Replaces the state tables with a verified backup in one transaction, together with the
 * `state.restore` audit entry in audit_outbox (the server's relay seals it into the chain).
 * Refused, changing nothing, for a damaged file or while a server is connected to the database.
 */
export async function restorePostgresState(
  config: AppConfig,
  srcFile: string,
  actor: string,
): Promise<PgRestoreReport> {
  const source = resolve(srcFile);
  const bytes = await readFile(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new UnavailableError('backup_not_found', `No backup file at ${source}`);
    throw error;
  });
  const target = databaseTarget(config);
  const backup = parseBackup(bytes, source);
  return withCliClient(target, async (client) => {
    const version = await currentSchema(client, target);
    if (backup.schema_version !== version)
      throw backupDamaged(
        source,
        `it was written at schema version ${backup.schema_version} and the database is at ${version}`,
      );
    await refuseRunningServers(client);
    await client.query('BEGIN');
    try {
      // Blocks a server starting meanwhile from writing tasks until the restore committed.
      await client.query(
        'LOCK TABLE tasks, task_dependencies, revocations, idempotency_keys IN EXCLUSIVE MODE',
      );
      await refuseRunningServers(client);
      await replaceContent(client, backup.content, source);
      const entry = restoreAuditEntry(actor, source, bytes, {
        content_digest: backup.digest,
        backup_written_at: backup.written_at,
        tasks: backup.content.tasks.length,
      });
      await insertOutbox(client, { changeId: randomUUID, now: () => Date.now(), instanceId: null }, [entry]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return { tasks: backup.content.tasks.length, digest: backup.digest };
  });
}
