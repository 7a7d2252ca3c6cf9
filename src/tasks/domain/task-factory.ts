import type { Clock } from '../../common/domain/clock.js';
import { InvalidInputError } from '../../common/domain/domain-error.js';
import type { IdGenerator } from '../../common/domain/ids.js';
import { isoTime, type Task, type WorkflowRef } from './task.model.js';

export interface NewTaskInput {
  readonly title: string;
  readonly description?: string;
  /** The workflow (name + version) the task is pinned to. */
  readonly workflow: WorkflowRef;
  /** The workflow's initial phase; the caller resolves it from the workflow. */
  readonly initialPhase: string;
  readonly capabilities?: readonly string[];
  readonly dependencies?: readonly string[];
  readonly priority?: number;
  readonly maxAttempts: number;
  /** Who created the task (operator subject); recorded in history. */
  readonly createdBy: string;
}

export interface TaskFactoryDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

/**
 * Builds a new queued task. Checks the task's own fields; whether its dependencies exist
 * and form no cycle is the store's job (`validateDependencies`), done atomically on insert.
 */
export function createTask(input: NewTaskInput, { clock, ids }: TaskFactoryDeps): Task {
  const title = input.title.trim();
  if (title === '') throw invalid('title', 'title must not be empty');
  requireName(input.workflow.name, 'workflow.name');
  requireName(input.workflow.version, 'workflow.version');
  requireName(input.initialPhase, 'phase');
  const priority = input.priority ?? 0;
  if (!Number.isSafeInteger(priority)) throw invalid('priority', 'priority must be an integer');
  if (!Number.isSafeInteger(input.maxAttempts) || input.maxAttempts < 1) {
    throw invalid('max_attempts', 'max_attempts must be an integer of at least 1');
  }
  const capabilities = uniqueNames(input.capabilities ?? [], 'capabilities').sort();
  const dependencies = uniqueNames(input.dependencies ?? [], 'dependencies');
  const now = isoTime(clock.now());
  return {
    id: ids.next(),
    title,
    description: input.description ?? '',
    workflow: { name: input.workflow.name, version: input.workflow.version },
    phase: input.initialPhase,
    status: 'queued',
    holder: null,
    capabilities,
    dependencies,
    priority,
    attempts: 0,
    max_attempts: input.maxAttempts,
    lease_expires_at: null,
    retry_not_before: null,
    token_version: 0,
    artifacts: {},
    approvals: [],
    approval_requests: [],
    history: [
      {
        at: now,
        actor: input.createdBy,
        action: 'created',
        from_phase: null,
        to_phase: input.initialPhase,
        from_status: null,
        to_status: 'queued',
        reason: null,
      },
    ],
    created_at: now,
    updated_at: now,
    completed_at: null,
    failure_reason: null,
  };
}

function requireName(value: string, field: string): void {
  if (value.trim() === '') throw invalid(field, `${field} must not be empty`);
}

function uniqueNames(values: readonly string[], field: string): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    if (value.trim() === '') throw invalid(field, `${field} must not contain empty names`);
    seen.add(value);
  }
  return [...seen];
}

function invalid(field: string, message: string): InvalidInputError {
  return new InvalidInputError('invalid_task', message, { field });
}
