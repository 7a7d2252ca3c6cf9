import type pg from 'pg';
import { queryPool } from '../../database/database-pool.js';
import type { Task } from '../../tasks/domain/task.model.js';
import { pageWindow } from '../list-tasks.js';
import type { TaskListQuery, TaskPage } from '../state.repository.js';
import { encodeCursor } from '../task-cursor.js';
import { taskOf } from './task-rows.js';

/**
 * One page in creation order. The cursor names a `created_seq` (the creation position here;
 * gaps from rolled-back inserts do not matter, it is only compared), in the other adapters' format.
 */
export async function listTaskPage(pool: pg.Pool, query: TaskListQuery): Promise<TaskPage> {
  const { take, fromCursor, skip } = pageWindow(query);
  const values: unknown[] = [];
  const where: string[] = [];
  const filter = (sql: string, value: unknown) => {
    values.push(value);
    where.push(`${sql} $${values.length}`);
  };
  if (query.status !== undefined) filter('status =', query.status);
  if (query.phase !== undefined) filter('phase =', query.phase);
  if (query.agentId !== undefined) filter('holder =', query.agentId);
  // `->>` is NULL for an absent key and for a JSON null: both are "not blocked".
  if (query.blocked !== undefined)
    where.push(`(doc->>'blocked_on' IS NOT NULL) = ${query.blocked ? 'true' : 'false'}`);
  const matches = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const counted = await queryPool<{ total: string }>(
    pool,
    `SELECT count(*) AS total FROM tasks ${matches}`,
    values,
  );

  const pageValues = [...values];
  let from = matches;
  if (fromCursor !== null) {
    pageValues.push(fromCursor);
    from = `${matches ? `${matches} AND` : 'WHERE'} created_seq >= $${pageValues.length}`;
  }
  pageValues.push(take + 1, skip);
  const page = await queryPool<{ created_seq: string; doc: Task }>(
    pool,
    `SELECT created_seq, doc FROM tasks ${from} ORDER BY created_seq
     LIMIT $${pageValues.length - 1} OFFSET $${pageValues.length}`,
    pageValues,
  );
  const rows = page.rows;
  const next = rows.length > take ? rows[take]! : null;
  return {
    tasks: rows.slice(0, take).map(taskOf),
    total: Number(counted.rows[0]!.total),
    next_cursor: next === null ? null : encodeCursor(Number(next.created_seq)),
  };
}
