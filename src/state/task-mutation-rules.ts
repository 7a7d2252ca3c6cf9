import { ConflictError, InvalidInputError } from '../common/domain/domain-error.js';
import type { Task } from '../tasks/domain/task.model.js';

/** Rules every adapter's `mutateTask` enforces the same way, with the same errors. */

/** The caller's token version is not the task's any more. */
export function staleTokenVersion(id: string, tokenVersion: number): ConflictError {
  return new ConflictError('stale_token_version', `Task ${id} has changed (token version ${tokenVersion})`, {
    task_id: id,
    token_version: tokenVersion,
  });
}

/** A mutation may not change what identifies the task or its place in the dependency graph. */
export function assertSameIdentity(current: Task, next: Task): void {
  const same =
    next.id === current.id &&
    next.created_at === current.created_at &&
    next.dependencies.length === current.dependencies.length &&
    next.dependencies.every((dep, i) => dep === current.dependencies[i]);
  if (!same) {
    throw new InvalidInputError(
      'invalid_mutation',
      `A mutation may not change the id, creation or dependencies of ${current.id}`,
    );
  }
}
