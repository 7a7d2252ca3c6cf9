import type { Clock } from '../../common/domain/clock.js';
import { ConflictError, InvalidInputError } from '../../common/domain/domain-error.js';
import {
  isTerminalStatus,
  isoTime,
  timeMs,
  type ApprovalDecision,
  type ArtifactSet,
  type Task,
  type TaskAction,
  type TaskHistoryEntry,
} from './task.model.js';

/**
 * The task state machine: pure functions from a task (+ clock) to the next task.
 *
 *   queued ──claim──▶ claimed ──complete──▶ completed
 *     ▲                 │ ├─transition (same status, next phase)
 *     └─release/fail/───┘ └─heartbeat (extends the lease)
 *       expireLease         release/fail/expireLease after the last attempt ──▶ failed
 *   any non-terminal ──cancel──▶ cancelled
 *
 * Attempts: a claim starts an attempt (`attempts + 1`). An attempt ends well with `complete`,
 * or badly with `release`, `fail` or `expireLease` — the three behave the same on purpose
 * (issue 4): the task keeps its phase and artifacts, and goes back to the queue with a retry
 * backoff while `attempts < max_attempts`, or becomes `failed` once the last attempt ended.
 * So `max_attempts: 3` allows three claims. `cancel` ends the task whatever the attempts.
 *
 * Every change of holder, status or phase bumps `token_version`, which invalidates phase tokens
 * issued before it. Heartbeats and approvals do not.
 */

export interface ClaimParams {
  readonly agentId: string;
  readonly leaseMs: number;
}

/** Starts an attempt. Eligibility (dependencies, capabilities, backoff) is checked by the queue. */
export function claim(task: Task, { agentId, leaseMs }: ClaimParams, clock: Clock): Task {
  assertNotTerminal(task);
  if (task.status !== 'queued') {
    throw new ConflictError('task_not_queued', `Task ${task.id} is ${task.status}, not queued`, {
      task_id: task.id,
      status: task.status,
    });
  }
  if (task.attempts >= task.max_attempts) {
    throw new ConflictError('max_attempts_exhausted', `Task ${task.id} has no attempts left`, {
      task_id: task.id,
    });
  }
  const now = clock.now();
  return change(task, now, agentId, 'claimed', null, {
    status: 'claimed',
    holder: agentId,
    attempts: task.attempts + 1,
    lease_expires_at: isoTime(now + validLease(leaseMs)),
    retry_not_before: null,
    token_version: task.token_version + 1,
  });
}

/** Extends the holder's lease to `now + leaseMs`. */
export function heartbeat(task: Task, { agentId, leaseMs }: ClaimParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, agentId, now);
  return { ...task, lease_expires_at: isoTime(now + validLease(leaseMs)), updated_at: isoTime(now) };
}

export interface TransitionParams {
  readonly agentId: string;
  readonly toPhase: string;
  /** The phase the caller believes the task is in; a mismatch is `phase_mismatch`. */
  readonly fromPhase?: string;
  /** Artifacts of the phase being left; merged by type over earlier ones of that phase. */
  readonly artifacts?: ArtifactSet;
  /** When given, the lease is renewed to `now + leaseMs`. */
  readonly leaseMs?: number;
}

/** Moves the held task to its next phase. Whether the workflow allows it is decided upstream. */
export function transition(task: Task, params: TransitionParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, params.agentId, now);
  assertPhase(task, params.fromPhase);
  if (params.toPhase.trim() === '') {
    throw new InvalidInputError('invalid_phase', 'The target phase must not be empty');
  }
  return change(task, now, params.agentId, 'transitioned', null, {
    phase: params.toPhase,
    artifacts: withArtifacts(task, task.phase, params.artifacts),
    token_version: task.token_version + 1,
    ...(params.leaseMs === undefined ? {} : { lease_expires_at: isoTime(now + validLease(params.leaseMs)) }),
  });
}

export interface CompleteParams {
  readonly agentId: string;
  /** Artifacts of the current (final) phase. */
  readonly artifacts?: ArtifactSet;
  /** Optionally the workflow's terminal phase to record the task in (e.g. `COMPLETE`). */
  readonly finalPhase?: string;
  readonly fromPhase?: string;
}

export function complete(task: Task, params: CompleteParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, params.agentId, now);
  assertPhase(task, params.fromPhase);
  return change(task, now, params.agentId, 'completed', null, {
    status: 'completed',
    phase: params.finalPhase ?? task.phase,
    holder: null,
    lease_expires_at: null,
    artifacts: withArtifacts(task, task.phase, params.artifacts),
    token_version: task.token_version + 1,
    completed_at: isoTime(now),
  });
}

export interface EndAttemptParams {
  readonly agentId: string;
  readonly retryBackoffMs: number;
  readonly reason?: string;
}

/** The holder gives the task back. Allowed after the lease passed: it ends the attempt anyway. */
export function release(task: Task, params: EndAttemptParams, clock: Clock): Task {
  assertHolder(task, params.agentId);
  return endAttempt(
    task,
    clock.now(),
    params.agentId,
    'released',
    params.reason ?? null,
    params.retryBackoffMs,
  );
}

/** The holder reports that the attempt failed. */
export function fail(task: Task, params: EndAttemptParams & { readonly reason: string }, clock: Clock): Task {
  assertHolder(task, params.agentId);
  return endAttempt(task, clock.now(), params.agentId, 'failed', params.reason, params.retryBackoffMs);
}

/** The lease ran out without a heartbeat: the attempt ends as failed. Only for expired leases. */
export function expireLease(
  task: Task,
  { retryBackoffMs }: { readonly retryBackoffMs: number },
  clock: Clock,
): Task {
  assertNotTerminal(task);
  const now = clock.now();
  const expiresAt = timeMs(task.lease_expires_at);
  if (task.status !== 'claimed' || expiresAt === null || now < expiresAt) {
    throw new ConflictError('lease_not_expired', `Task ${task.id} has no expired lease`, {
      task_id: task.id,
    });
  }
  return endAttempt(task, now, 'system', 'lease_expired', `lease of ${task.holder} expired`, retryBackoffMs);
}

export function cancel(
  task: Task,
  { actor, reason }: { readonly actor: string; readonly reason?: string },
  clock: Clock,
): Task {
  assertNotTerminal(task);
  return change(task, clock.now(), actor, 'cancelled', reason ?? null, {
    status: 'cancelled',
    holder: null,
    lease_expires_at: null,
    retry_not_before: null,
    token_version: task.token_version + 1,
  });
}

export interface ApprovalParams {
  readonly gateId: string;
  /** Phase the gate belongs to; defaults to the task's current phase. */
  readonly phase?: string;
  readonly decision: ApprovalDecision;
  readonly by: string;
  readonly comment?: string;
}

/** Records an operator's decision on an approval gate. Earlier decisions are kept. */
export function recordApproval(task: Task, params: ApprovalParams, clock: Clock): Task {
  assertNotTerminal(task);
  if (params.gateId.trim() === '') throw new InvalidInputError('invalid_gate', 'gate_id must not be empty');
  const now = clock.now();
  const approval = {
    gate_id: params.gateId,
    phase: params.phase ?? task.phase,
    decision: params.decision,
    by: params.by,
    comment: params.comment ?? null,
    at: isoTime(now),
  };
  return change(task, now, params.by, 'approval_recorded', `${params.gateId} ${params.decision}`, {
    approvals: [...task.approvals, approval],
  });
}

/** The latest decision on a gate in a phase, or null when none was recorded. */
export function latestApproval(
  task: Task,
  gateId: string,
  phase: string = task.phase,
): ApprovalDecision | null {
  for (let i = task.approvals.length - 1; i >= 0; i--) {
    const approval = task.approvals[i]!;
    if (approval.gate_id === gateId && approval.phase === phase) return approval.decision;
  }
  return null;
}

function endAttempt(
  task: Task,
  now: number,
  actor: string,
  action: TaskAction,
  reason: string | null,
  retryBackoffMs: number,
): Task {
  if (!Number.isFinite(retryBackoffMs) || retryBackoffMs < 0) {
    throw new InvalidInputError('invalid_backoff', 'retry backoff must be a non-negative number');
  }
  const exhausted = task.attempts >= task.max_attempts;
  const common = { holder: null, lease_expires_at: null, token_version: task.token_version + 1 };
  if (exhausted) {
    const why = `max_attempts (${task.max_attempts}) reached; last attempt ${action}${reason ? `: ${reason}` : ''}`;
    return change(task, now, actor, action, reason, {
      ...common,
      status: 'failed',
      retry_not_before: null,
      failure_reason: why,
    });
  }
  return change(task, now, actor, action, reason, {
    ...common,
    status: 'queued',
    retry_not_before: retryBackoffMs > 0 ? isoTime(now + retryBackoffMs) : null,
  });
}

/** Applies `fields`, stamps `updated_at` and appends the history entry describing the change. */
function change(
  task: Task,
  now: number,
  actor: string,
  action: TaskAction,
  reason: string | null,
  fields: Partial<Task>,
): Task {
  const next: Task = { ...task, ...fields, updated_at: isoTime(now) };
  const entry: TaskHistoryEntry = {
    at: next.updated_at,
    actor,
    action,
    from_phase: task.phase,
    to_phase: next.phase,
    from_status: task.status,
    to_status: next.status,
    reason,
  };
  return { ...next, history: [...task.history, entry] };
}

function withArtifacts(task: Task, phase: string, artifacts: ArtifactSet | undefined): Task['artifacts'] {
  if (artifacts === undefined || Object.keys(artifacts).length === 0) return task.artifacts;
  return { ...task.artifacts, [phase]: { ...task.artifacts[phase], ...artifacts } };
}

function validLease(leaseMs: number): number {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) {
    throw new InvalidInputError('invalid_lease', 'lease must be a positive whole number of milliseconds');
  }
  return leaseMs;
}

function assertNotTerminal(task: Task): void {
  if (isTerminalStatus(task.status)) {
    throw new ConflictError('task_terminal', `Task ${task.id} is ${task.status}`, {
      task_id: task.id,
      status: task.status,
    });
  }
}

function assertHolder(task: Task, agentId: string): void {
  assertNotTerminal(task);
  if (task.status !== 'claimed') {
    throw new ConflictError('task_not_claimed', `Task ${task.id} is ${task.status}, not claimed`, {
      task_id: task.id,
      status: task.status,
    });
  }
  if (task.holder !== agentId) {
    throw new ConflictError('not_holder', `Task ${task.id} is held by another agent`, { task_id: task.id });
  }
}

export function assertActiveHolder(task: Task, agentId: string, now: number): void {
  assertHolder(task, agentId);
  const expiresAt = timeMs(task.lease_expires_at);
  if (expiresAt !== null && now >= expiresAt) {
    throw new ConflictError(
      'lease_expired',
      `The lease on task ${task.id} expired at ${task.lease_expires_at}`,
      {
        task_id: task.id,
      },
    );
  }
}

export function assertPhase(task: Task, expected: string | undefined): void {
  if (expected !== undefined && expected !== task.phase) {
    throw new ConflictError('phase_mismatch', `Task ${task.id} is in phase ${task.phase}, not ${expected}`, {
      task_id: task.id,
      current_phase: task.phase,
    });
  }
}
