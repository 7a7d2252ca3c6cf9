import type pg from 'pg';
import { validateDependencies } from '../../tasks/domain/dependency-graph.js';
import type { Task } from '../../tasks/domain/task.model.js';

/**
 * Checks a new task's dependencies with the domain's rule (`unknown_dependency`,
 * `dependency_cycle`) against the stored graph, and returns how many are not completed yet
 * (its `deps_pending`). Runs under a transaction-scoped advisory lock, so concurrent creates
 * that add edges are checked one after the other and cannot build a cycle between them.
 */
export async function checkDependencies(client: pg.PoolClient, task: Task): Promise<number> {
  if (task.dependencies.length === 0) return 0;
  await client.query("SELECT pg_advisory_xact_lock(hashtext('orchestrator.dag'))");
  const direct = await client.query<{ id: string; status: string }>(
    // FOR SHARE: a dependency completing meanwhile waits for this commit, and then counts the
    // new edge when it releases its dependants; one that completed before is read as completed.
    'SELECT id, status FROM tasks WHERE id = ANY($1::text[]) FOR SHARE',
    [task.dependencies],
  );
  const stored = new Set(direct.rows.map((r) => r.id));
  // A cycle through the new task needs a stored task depending on it; only then is the
  // (possibly large) graph above its dependencies loaded for the search.
  const dependants = await client.query('SELECT 1 FROM task_dependencies WHERE depends_on = $1 LIMIT 1', [
    task.id,
  ]);
  const edges = dependants.rowCount ? await reachableEdges(client, task.dependencies) : new Map();
  validateDependencies(task, {
    dependenciesOf: (id) => (stored.has(id) || edges.has(id) ? (edges.get(id) ?? []) : undefined),
    hasDependants: () => (dependants.rowCount ?? 0) > 0,
  });
  return direct.rows.filter((r) => r.status !== 'completed').length;
}

/** Dependency edges of every task reachable from `starts`. */
async function reachableEdges(
  client: pg.PoolClient,
  starts: readonly string[],
): Promise<Map<string, string[]>> {
  const result = await client.query<{ id: string; deps: string[] }>(
    `WITH RECURSIVE reach(id) AS (
       SELECT unnest($1::text[])
       UNION SELECT td.depends_on FROM task_dependencies td JOIN reach r ON td.task_id = r.id)
     SELECT r.id, coalesce(array_agg(td.depends_on) FILTER (WHERE td.depends_on IS NOT NULL), '{}') AS deps
     FROM reach r JOIN tasks t ON t.id = r.id LEFT JOIN task_dependencies td ON td.task_id = r.id
     GROUP BY r.id`,
    [starts],
  );
  return new Map(result.rows.map((r) => [r.id, r.deps]));
}

/** Stores the new task's edges (the task row exists already). */
export async function insertDependencies(client: pg.PoolClient, task: Task): Promise<void> {
  if (task.dependencies.length === 0) return;
  await client.query('INSERT INTO task_dependencies (task_id, depends_on) SELECT $1, unnest($2::text[])', [
    task.id,
    task.dependencies,
  ]);
}
