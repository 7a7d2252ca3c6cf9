import { timeMs, type Task, type TaskStatus } from './task.model.js';

/** Why a task cannot be claimed by a given agent right now. */
export type EligibilityBlocker =
  | { readonly code: 'not_queued'; readonly status: TaskStatus }
  | { readonly code: 'dependency_incomplete'; readonly task_id: string; readonly status: TaskStatus | null }
  | { readonly code: 'missing_capability'; readonly capability: string }
  | { readonly code: 'retry_backoff'; readonly until: string };

/** Status of another task by id, or undefined when there is none. */
export type StatusLookup = (id: string) => TaskStatus | undefined;

/**
 * Everything that keeps `agentCapabilities` from claiming `task` at `now`. Empty means eligible:
 * queued, every dependency completed, required capabilities ⊆ the agent's, and not before
 * `retry_not_before`.
 */
export function eligibilityBlockers(
  task: Task,
  agentCapabilities: ReadonlySet<string>,
  now: number,
  statusOf: StatusLookup,
): EligibilityBlocker[] {
  const blockers: EligibilityBlocker[] = [];
  if (task.status !== 'queued') blockers.push({ code: 'not_queued', status: task.status });
  for (const id of task.dependencies) {
    const status = statusOf(id) ?? null;
    if (status !== 'completed') blockers.push({ code: 'dependency_incomplete', task_id: id, status });
  }
  for (const capability of task.capabilities) {
    if (!agentCapabilities.has(capability)) blockers.push({ code: 'missing_capability', capability });
  }
  const retryAt = timeMs(task.retry_not_before);
  if (retryAt !== null && now < retryAt)
    blockers.push({ code: 'retry_backoff', until: task.retry_not_before! });
  return blockers;
}

export function isEligible(
  task: Task,
  agentCapabilities: ReadonlySet<string>,
  now: number,
  statusOf: StatusLookup,
): boolean {
  return eligibilityBlockers(task, agentCapabilities, now, statusOf).length === 0;
}

/** The claim order: higher priority first, then older (`created_at`), then id. */
export function compareClaimOrder(
  a: Pick<Task, 'priority' | 'created_at' | 'id'>,
  b: Pick<Task, 'priority' | 'created_at' | 'id'>,
): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/**
 * The task an agent gets next, by a full scan. The reference definition of the claim rule:
 * stores answer the same question with indexes and are tested against this.
 */
export function pickNextEligible(
  tasks: Iterable<Task>,
  agentCapabilities: ReadonlySet<string>,
  now: number,
  statusOf: StatusLookup,
): Task | null {
  let best: Task | null = null;
  for (const task of tasks) {
    if (best !== null && compareClaimOrder(task, best) > 0) continue;
    if (isEligible(task, agentCapabilities, now, statusOf)) best = task;
  }
  return best;
}
