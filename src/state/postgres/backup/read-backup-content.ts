import type pg from 'pg';
import type { Task } from '../../../tasks/domain/task.model.js';
import type { BackupContent } from './backup-format.js';

/**
 * Reads the state tables in one REPEATABLE READ, READ ONLY transaction: one consistent
 * snapshot, safe while servers write. Rows in a fixed order, so the same state reads the same.
 */
export async function readBackupContent(client: pg.ClientBase): Promise<BackupContent> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY');
  try {
    const content = await readTables(client);
    await client.query('COMMIT');
    return content;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function readTables(client: pg.ClientBase): Promise<BackupContent> {
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
