import type pg from 'pg';
import { insertTasks } from '../task-rows.js';
import { backupDamaged } from './backup-file.js';
import type { BackupContent } from './backup-format.js';

/**
 * Replaces the state tables with `content`, inside the caller's transaction: deletes, then
 * reinserts the tasks in their backed-up creation order with deps_pending counted from it.
 */
export async function replaceContent(
  client: pg.ClientBase,
  content: BackupContent,
  source: string,
): Promise<void> {
  await client.query('DELETE FROM task_dependencies');
  await client.query('DELETE FROM tasks');
  await client.query('DELETE FROM revocations');
  await client.query('DELETE FROM idempotency_keys');
  const pending = pendingDependencies(content);
  const taken = await insertTasks(client, content.tasks, (task) => pending.get(task.id) ?? 0);
  if (taken.length > 0) throw backupDamaged(source, `it holds task ${taken[0]} more than once`);
  if (content.dependencies.length > 0)
    await client.query(
      'INSERT INTO task_dependencies (task_id, depends_on) SELECT * FROM unnest($1::text[], $2::text[])',
      [content.dependencies.map((d) => d[0]), content.dependencies.map((d) => d[1])],
    );
  for (const r of content.revocations)
    await client.query('INSERT INTO revocations (jti, expires_at) VALUES ($1, $2)', [r.jti, r.expires_at]);
  for (const k of content.idempotency_keys)
    await client.query('INSERT INTO idempotency_keys (key, response, expires_at) VALUES ($1, $2::json, $3)', [
      k.key,
      JSON.stringify(k.response),
      k.expires_at,
    ]);
}

/** Per dependant, its dependencies in the backup that are not completed (what the claim waits for). */
function pendingDependencies(content: BackupContent): Map<string, number> {
  const status = new Map(content.tasks.map((t) => [t.id, t.status]));
  const pending = new Map<string, number>();
  for (const [taskId, dependsOn] of content.dependencies) {
    const s = status.get(dependsOn);
    if (s !== undefined && s !== 'completed') pending.set(taskId, (pending.get(taskId) ?? 0) + 1);
  }
  return pending;
}
