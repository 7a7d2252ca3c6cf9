import { createHash, randomUUID } from 'node:crypto';
import { chmod, open, readFile, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type pg from 'pg';
import { UnavailableError } from '../../common/domain/domain-error.js';
import { type AppConfig } from '../../config/app-config.js';
import { databaseTarget, type DatabaseTarget } from '../../database/database-target.js';
import { readMigrations } from '../../database/migration-files.js';
import type { Task } from '../../tasks/domain/task.model.js';
import { SNAPSHOT_FORMAT } from '../file/snapshot-file.js';

/** Marks a postgres state backup; the file store's backups are snapshot files (another format). */
export const PG_BACKUP_FORMAT = 'orchestrator-postgres-state-backup';
const PG_BACKUP_VERSION = 1;

/** This CLI's application_name: not `orchestrator <instance>`, so the running-server check skips it. */
const CLI_APPLICATION = 'orchestrator state';

/** What the postgres state repository owns; the audit chain, events and outboxes stay for pg_dump. */
interface BackupContent {
  readonly tasks: readonly Task[];
  readonly dependencies: readonly (readonly [string, string])[];
  readonly revocations: readonly { readonly jti: string; readonly expires_at: string }[];
  readonly idempotency_keys: readonly {
    readonly key: string;
    readonly response: unknown;
    readonly expires_at: string;
  }[];
}

interface BackupFile {
  readonly format: string;
  readonly version: number;
  readonly backend: 'postgres';
  readonly schema_version: number;
  readonly written_at: string;
  /** sha256 of JSON.stringify(content), so any edit to the content is seen. */
  readonly digest: string;
  readonly content: BackupContent;
}

export interface PgBackupReport {
  readonly file: string;
  readonly tasks: number;
  readonly digest: string;
}

export interface PgRestoreReport {
  readonly tasks: number;
  readonly digest: string;
}

/**
 * Writes the state tables as one JSON file, read in a single REPEATABLE READ, READ ONLY
 * transaction (one consistent snapshot, safe while servers run), atomically and mode 0600.
 */
export async function backupPostgresState(config: AppConfig, destFile: string): Promise<PgBackupReport> {
  const target = databaseTarget(config);
  const schemaVersion = await withClient(target, async (client) => {
    const version = await currentSchema(client, target);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    try {
      const content = await readContent(client);
      await client.query('COMMIT');
      return { version, content };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  const { content } = schemaVersion;
  const digest = digestOf(content);
  const body: BackupFile = {
    format: PG_BACKUP_FORMAT,
    version: PG_BACKUP_VERSION,
    backend: 'postgres',
    schema_version: schemaVersion.version,
    written_at: new Date().toISOString(),
    digest,
    content,
  };
  const file = resolve(destFile);
  await writeAtomic(file, `${JSON.stringify(body)}\n`);
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
  return withClient(target, async (client) => {
    const version = await currentSchema(client, target);
    if (backup.schema_version !== version)
      throw damaged(
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
      await replaceContent(client, backup.content);
      await client.query(
        `INSERT INTO audit_outbox (change_id, stored_at, instance_id, entry) VALUES ($1, $2, NULL, $3::json)`,
        [
          randomUUID(),
          new Date().toISOString(),
          JSON.stringify({
            actor,
            role: 'admin',
            action: 'state.restore',
            decision: 'allowed',
            success: true,
            reason: `restored the state from ${source} (orchestrator state restore)`,
            details: {
              backup: source,
              digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
              content_digest: backup.digest,
              backup_written_at: backup.written_at,
              tasks: backup.content.tasks.length,
            },
          }),
        ],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    return { tasks: backup.content.tasks.length, digest: backup.digest };
  });
}

/** True for a file that carries the postgres backup marker (used to refuse it on the file store). */
export function isPostgresBackup(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 200).toString('utf8');
  return head.includes(`"format":"${PG_BACKUP_FORMAT}"`);
}

async function withClient<T>(target: DatabaseTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const { connectDatabase } = await import('../../database/database-connection.js');
  const pgModule = (await import('pg')).default;
  const client = await connectDatabase(target, { applicationName: CLI_APPLICATION, statementTimeoutMs: 0 });
  try {
    await client.query(`SET search_path TO ${pgModule.escapeIdentifier(target.schema)}`);
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The schema version (latest migration); a database that does not match this code is refused. */
async function currentSchema(client: pg.Client, target: DatabaseTarget): Promise<number> {
  const { Migrator } = await import('../../database/migrator.js');
  const status = await new Migrator(client, target.schema, readMigrations()).status();
  if (status.problems.length > 0 || status.pending.length > 0)
    throw new UnavailableError(
      'schema_mismatch',
      `the database schema ${target.schema} is at version ${status.version} of ${status.latest}: run \`orchestrator db migrate\` first; nothing was changed`,
    );
  return status.version;
}

/** Servers name their connections `orchestrator <instance id>` (database.module.ts). */
async function refuseRunningServers(client: pg.Client): Promise<void> {
  const result = await client.query<{ application_name: string; client_addr: string | null }>(
    `SELECT application_name, client_addr::text FROM pg_stat_activity
     WHERE datname = current_database() AND pid <> pg_backend_pid()
       AND application_name LIKE 'orchestrator %' AND application_name NOT IN ('orchestrator db', $1)`,
    [CLI_APPLICATION],
  );
  if (result.rows.length === 0) return;
  const names = [...new Set(result.rows.map((r) => r.application_name))];
  throw new UnavailableError(
    'state_locked',
    `${names.length} orchestrator server(s) are connected to this database (${names.join(', ')}): stop them before \`state restore\`; nothing was changed`,
  );
}

async function readContent(client: pg.Client): Promise<BackupContent> {
  const tasks = await client.query<{ doc: Task }>('SELECT doc FROM tasks ORDER BY created_seq');
  const deps = await client.query<{ task_id: string; depends_on: string }>(
    'SELECT task_id, depends_on FROM task_dependencies ORDER BY task_id, depends_on',
  );
  const revocations = await client.query<{ jti: string; expires_at: Date }>(
    'SELECT jti, expires_at FROM revocations ORDER BY jti',
  );
  const keys = await client.query<{ key: string; response: unknown; expires_at: Date }>(
    'SELECT key, response, expires_at FROM idempotency_keys ORDER BY key',
  );
  return {
    tasks: tasks.rows.map((r) => r.doc),
    dependencies: deps.rows.map((r) => [r.task_id, r.depends_on] as const),
    revocations: revocations.rows.map((r) => ({ jti: r.jti, expires_at: r.expires_at.toISOString() })),
    idempotency_keys: keys.rows.map((r) => ({
      key: r.key,
      response: r.response,
      expires_at: r.expires_at.toISOString(),
    })),
  };
}

/** Deletes and reinserts; tasks in their backed-up creation order, deps_pending recomputed. */
async function replaceContent(client: pg.Client, content: BackupContent): Promise<void> {
  await client.query('DELETE FROM task_dependencies');
  await client.query('DELETE FROM tasks');
  await client.query('DELETE FROM revocations');
  await client.query('DELETE FROM idempotency_keys');
  for (const task of content.tasks) {
    await client.query(
      `INSERT INTO tasks (id, workflow_name, workflow_version, phase, status, holder, capabilities, priority,
         attempts, max_attempts, lease_expires_at, retry_not_before, token_version, doc, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
      [
        task.id,
        task.workflow.name,
        task.workflow.version,
        task.phase,
        task.status,
        task.holder,
        task.capabilities,
        task.priority,
        task.attempts,
        task.max_attempts,
        task.lease_expires_at,
        task.retry_not_before,
        task.token_version,
        JSON.stringify(task),
        task.created_at,
      ],
    );
  }
  if (content.dependencies.length > 0) {
    await client.query(
      'INSERT INTO task_dependencies (task_id, depends_on) SELECT * FROM unnest($1::text[], $2::text[])',
      [content.dependencies.map((d) => d[0]), content.dependencies.map((d) => d[1])],
    );
    await client.query(
      `UPDATE tasks t SET deps_pending = d.n FROM (
         SELECT td.task_id, count(*)::int AS n FROM task_dependencies td JOIN tasks dep ON dep.id = td.depends_on
         WHERE dep.status <> 'completed' GROUP BY td.task_id) d
       WHERE t.id = d.task_id`,
    );
  }
  for (const r of content.revocations)
    await client.query('INSERT INTO revocations (jti, expires_at) VALUES ($1, $2)', [r.jti, r.expires_at]);
  for (const k of content.idempotency_keys)
    await client.query('INSERT INTO idempotency_keys (key, response, expires_at) VALUES ($1, $2::json, $3)', [
      k.key,
      JSON.stringify(k.response),
      k.expires_at,
    ]);
}

function digestOf(content: BackupContent): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(content)).digest('hex')}`;
}

function damaged(source: string, what: string): UnavailableError {
  return new UnavailableError(
    'state_damaged',
    `The backup ${source} cannot be restored: ${what}. Nothing was changed`,
  );
}

function parseBackup(bytes: Buffer, source: string): BackupFile {
  const firstLine = bytes
    .subarray(0, bytes.indexOf(10) >= 0 ? bytes.indexOf(10) : bytes.length)
    .toString('utf8');
  if (firstLine.includes(SNAPSHOT_FORMAT))
    throw damaged(
      source,
      'it is a file-store backup (state.backend: file); a postgres database restores only backups written by `state backup` on state.backend: postgres',
    );
  let parsed: Partial<BackupFile>;
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as Partial<BackupFile>;
  } catch (error) {
    throw damaged(source, `it is not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object') throw damaged(source, 'it is not a JSON object');
  if (parsed.format !== PG_BACKUP_FORMAT)
    throw damaged(source, `it has no "format": "${PG_BACKUP_FORMAT}" marker`);
  if (parsed.version !== PG_BACKUP_VERSION)
    throw damaged(source, `its version ${String(parsed.version)} is not ${PG_BACKUP_VERSION}`);
  if (parsed.backend !== 'postgres')
    throw damaged(source, `its backend is ${String(parsed.backend)}, not postgres`);
  const content = parsed.content;
  if (
    !content ||
    !Array.isArray(content.tasks) ||
    !Array.isArray(content.dependencies) ||
    !Array.isArray(content.revocations) ||
    !Array.isArray(content.idempotency_keys)
  )
    throw damaged(source, 'its content is missing tasks, dependencies, revocations or idempotency_keys');
  const digest = digestOf(content);
  if (parsed.digest !== digest)
    throw damaged(
      source,
      `its digest ${String(parsed.digest)} does not match its content (${digest}): the file was changed or truncated`,
    );
  if (typeof parsed.schema_version !== 'number') throw damaged(source, 'it has no schema_version');
  return parsed as BackupFile;
}

/** Temp file beside the target, fsynced, then renamed over it: a crash leaves the old file or the new. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
