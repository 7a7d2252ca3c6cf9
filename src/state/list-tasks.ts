import type { Task } from '../tasks/domain/task.model.js';
import type { StateIndex } from './index/state-index.js';
import type { TaskListQuery, TaskPage } from './state.repository.js';
import { decodeCursor, encodeCursor } from './task-cursor.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/**
 * One page of tasks in creation order. The status filter (or none) picks a ranked set of
 * creation positions from the index, so without phase/agent filters the page, `total` and the
 * next cursor come from rank arithmetic: O(limit · log n), not a walk over every task. Phase,
 * agent and blocked filters are not indexed; they scan only the candidates of the status filter.
 */
export function listTasks(index: StateIndex, query: TaskListQuery): TaskPage {
  const { take, fromCursor, skip } = pageWindow(query);
  const candidates = index.positions(query.status);
  const residual = residualFilter(query);

  if (residual === null) {
    const size = candidates.size;
    const start = fromCursor !== null ? candidates.rank(fromCursor) : Math.min(skip, size);
    const end = Math.min(start + take, size);
    const tasks: Task[] = [];
    for (let k = start; k < end; k++) tasks.push(index.taskAt(candidates.select(k)));
    const next = end < size ? candidates.select(end) : null;
    return { tasks, total: size, next_cursor: next === null ? null : encodeCursor(next) };
  }

  // Phase/agent/blocked filters: every candidate must be checked for `total`, from the first one.
  const tasks: Task[] = [];
  let total = 0;
  let toSkip = skip;
  let nextPosition: number | null = null;
  for (let k = 0; k < candidates.size; k++) {
    const position = candidates.select(k);
    const task = index.taskAt(position);
    if (!residual(task)) continue;
    total += 1;
    if (fromCursor !== null && position < fromCursor) continue;
    if (toSkip > 0) {
      toSkip -= 1;
      continue;
    }
    if (tasks.length < take) tasks.push(task);
    else nextPosition ??= position;
  }
  return { tasks, total, next_cursor: nextPosition === null ? null : encodeCursor(nextPosition) };
}

/** The page a query asks for, normalised the same way by every adapter. */
export function pageWindow(query: TaskListQuery): { take: number; fromCursor: number | null; skip: number } {
  const limit = Math.min(Math.max(query.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  // A page holds the matches while fewer than `limit` were taken: ceil for fractions, none for NaN.
  const take = Number.isNaN(limit) ? 0 : Math.ceil(limit);
  const fromCursor = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const offset = fromCursor === null ? Math.max(query.offset ?? 0, 0) : 0;
  const skip = Number.isNaN(offset) ? 0 : Math.ceil(offset);
  return { take, fromCursor, skip };
}

/** The filters the position sets do not answer, or null when there are none. */
function residualFilter(query: TaskListQuery): ((task: Task) => boolean) | null {
  const { phase, agentId, blocked } = query;
  if (phase === undefined && agentId === undefined && blocked === undefined) return null;
  return (task) =>
    (phase === undefined || task.phase === phase) &&
    (agentId === undefined || task.holder === agentId) &&
    (blocked === undefined || (task.blocked_on != null) === blocked);
}
