import type pg from 'pg';
import type { Task } from '../../tasks/domain/task.model.js';
import { deepFreeze } from '../index/deep-freeze.js';

/** What the adapter reads of a task row: the stored Task and the revision it was read at. */
export interface TaskRow {
  readonly revision: string;
  readonly doc: Task;
}

export const TASK_ROW = 'revision, doc';

/** The stored Task of a row, frozen like every adapter's snapshots. */
export function taskOf(row: { readonly doc: Task }): Task {
  return deepFreeze(row.doc);
}

/**
 * Parameters $2…$14 of the queried columns, copied from the task (the doc is the truth; these
 * only serve filters and ordering). Times go in as the domain's ISO text.
 */
export function queriedColumns(task: Task): unknown[] {
  return [
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
  ];
}

/** Inserts a new task; false when the id is taken. */
export async function insertTask(client: pg.PoolClient, task: Task, depsPending: number): Promise<boolean> {
  return insertRow(client, task, depsPending);
}

/**
 * Inserts `tasks` in this order (so `created_seq` follows it), each with the count
 * `depsPending` gives; the ids already taken, in order (none on an empty table).
 */
export async function insertTasks(
  client: pg.ClientBase,
  tasks: readonly Task[],
  depsPending: (task: Task) => number,
): Promise<string[]> {
  const taken: string[] = [];
  for (const task of tasks) if (!(await insertRow(client, task, depsPending(task)))) taken.push(task.id);
  return taken;
}

async function insertRow(client: pg.ClientBase, task: Task, depsPending: number): Promise<boolean> {
  const result = await client.query(
    `INSERT INTO tasks (id, workflow_name, workflow_version, phase, status, holder, capabilities, priority,
       attempts, max_attempts, lease_expires_at, retry_not_before, token_version, doc, deps_pending, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT (id) DO NOTHING`,
    [task.id, ...queriedColumns(task), depsPending, task.created_at],
  );
  return result.rowCount === 1;
}

/** The SET list of a task update, given the placeholders of `queriedColumns`' values in order. */
export function taskUpdateSet(placeholders: readonly string[]): string {
  const names = [
    'workflow_name',
    'workflow_version',
    'phase',
    'status',
    'holder',
    'capabilities',
    'priority',
    'attempts',
    'max_attempts',
    'lease_expires_at',
    'retry_not_before',
    'token_version',
    'doc',
  ];
  return names.map((name, i) => `${name} = ${placeholders[i]}`).join(', ');
}

/** Compare-and-swap: writes `task` only if the row is still at `revision`; false otherwise. */
export async function updateTask(client: pg.PoolClient, task: Task, revision: string): Promise<boolean> {
  const columns = queriedColumns(task).map((_, i) => `$${i + 2}`);
  const result = await client.query(
    `UPDATE tasks SET ${taskUpdateSet(columns)}, revision = revision + 1 WHERE id = $1 AND revision = $15`,
    [task.id, ...queriedColumns(task), revision],
  );
  return result.rowCount === 1;
}

/**
 * A task just completed: its dependants have one dependency fewer to wait for. Locks them in id
 * order, so two completions sharing dependants cannot deadlock. `revision` is not bumped: the
 * dependants' docs do not change, and a concurrent CAS on them writes other columns only.
 */
export async function releaseDependants(client: pg.PoolClient, completedId: string): Promise<void> {
  await client.query(
    `WITH d AS (
       SELECT t.id FROM tasks t JOIN task_dependencies td ON td.task_id = t.id
       WHERE td.depends_on = $1 ORDER BY t.id FOR UPDATE OF t)
     UPDATE tasks SET deps_pending = deps_pending - 1 FROM d WHERE tasks.id = d.id`,
    [completedId],
  );
}
