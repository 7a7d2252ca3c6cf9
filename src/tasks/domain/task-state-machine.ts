import type { Clock } from '../../common/domain/clock.js';
import { ConflictError, ForbiddenError, InvalidInputError } from '../../common/domain/domain-error.js';
import {
  isTerminalStatus,
  isoTime,
  timeMs,
  type ApprovalDecision,
  type ApprovalRequest,
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
 *     │                 │ ├─heartbeat (extends the lease)
 *     └─release/fail/───┘ └─resume (extends the lease, new token version)
 *       expireLease         release/fail/expireLease after the last attempt ──▶ failed
 *   any non-terminal ──cancel──▶ cancelled
 *   failed, cancelled ──requeue (an operator)──▶ queued
 *
 * Attempts: a claim starts an attempt (`attempts + 1`). An attempt ends well with `complete`,
 * or badly with `release`, `fail` or `expireLease` — the three behave the same on purpose
 * (issue 4): the task keeps its phase and artifacts, and goes back to the queue with a retry
 * backoff while `attempts < max_attempts`, or becomes `failed` once the last attempt ended.
 * So `max_attempts: 3` allows three claims. `cancel` ends the task whatever the attempts.
 *
 * `requeue` (issue 20) puts a failed or cancelled task back in the queue in its phase, with its
 * artifacts; by default with its attempts reset to 0 (a failed task has none left).
 *
 * `blocked_on` (see `blocked-on.ts`) records a refused transition or completion; leaving the
 * phase (`transition`, `complete`) and `requeue` clear it. `last_heartbeat_at` is set by
 * `heartbeat` and `resume`, and cleared when an attempt starts or ends.
 *
 * Every change of holder, status or phase bumps `token_version`, which invalidates phase tokens
 * issued before it; so does a resume. Heartbeats, approval requests and approvals do not.
 *
 * Approvals (issue 14): a transition blocked only by a missing approval stores its artifacts and
 * an approval request naming their digest (`requestApproval`); an operator's decision
 * (`recordApproval`) is accepted only for a pending request and records that digest; leaving the
 * phase clears the requests, so each visit of a phase is approved on its own artifacts.
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
    last_heartbeat_at: null,
    retry_not_before: null,
    token_version: task.token_version + 1,
  });
}

/** Extends the holder's lease to `now + leaseMs`. */
export function heartbeat(task: Task, { agentId, leaseMs }: ClaimParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, agentId, now);
  return {
    ...task,
    lease_expires_at: isoTime(now + validLease(leaseMs)),
    last_heartbeat_at: isoTime(now),
    updated_at: isoTime(now),
  };
}

/**
 * The holder picks its task up again (a new process of the same agent, after a crash): the lease
 * is renewed exactly as a heartbeat would, and `token_version` is bumped so every phase token
 * issued before is stale. Holder, status, phase and attempts stay; no history line is added (a
 * claim loop must not grow the task: the audit log records each resume).
 */
export function resume(task: Task, { agentId, leaseMs }: ClaimParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, agentId, now);
  return {
    ...task,
    lease_expires_at: isoTime(now + validLease(leaseMs)),
    last_heartbeat_at: isoTime(now),
    token_version: task.token_version + 1,
    updated_at: isoTime(now),
  };
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
    approval_requests: [],
    blocked_on: null,
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
    last_heartbeat_at: null,
    artifacts: withArtifacts(task, task.phase, params.artifacts),
    approval_requests: [],
    blocked_on: null,
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
    last_heartbeat_at: null,
    retry_not_before: null,
    token_version: task.token_version + 1,
  });
}

export interface RequeueParams {
  readonly actor: string;
  readonly reason?: string;
  /** Attempts back to 0 (default); false keeps the count, refused when none are left. */
  readonly resetAttempts?: boolean;
}

/**
 * An operator puts a failed or cancelled task back in the queue (issue 20): in the phase it was
 * in, with its artifacts and approvals, eligible at once. Holder, lease, backoff, failure reason
 * and `blocked_on` are cleared and the token version bumped. Refused for any other status
 * (`task_not_requeueable`) and, keeping the attempt count, for a task with none left
 * (`no_attempts_left`).
 */
export function requeue(task: Task, params: RequeueParams, clock: Clock): Task {
  if (task.status !== 'failed' && task.status !== 'cancelled') {
    throw new ConflictError(
      'task_not_requeueable',
      `Task ${task.id} is ${task.status}: only a failed or cancelled task can be requeued`,
      { task_id: task.id, status: task.status },
    );
  }
  const attempts = params.resetAttempts === false ? task.attempts : 0;
  if (attempts >= task.max_attempts) {
    throw new ConflictError(
      'no_attempts_left',
      `Task ${task.id} has used ${task.attempts} of ${task.max_attempts} attempts: requeue it with reset_attempts`,
      { task_id: task.id, attempts: task.attempts, max_attempts: task.max_attempts },
    );
  }
  return change(task, clock.now(), params.actor, 'requeued', params.reason ?? null, {
    status: 'queued',
    holder: null,
    attempts,
    lease_expires_at: null,
    last_heartbeat_at: null,
    retry_not_before: null,
    failure_reason: null,
    completed_at: null,
    blocked_on: null,
    token_version: task.token_version + 1,
  });
}

export interface ApprovalRequestParams {
  readonly agentId: string;
  readonly gateId: string;
  /** Digest of every artifact the gate's decision read, this submission included. */
  readonly digest: string;
  /** Types the digest covers. */
  readonly artifactTypes: readonly string[];
  /** This submission: stored with the phase's artifacts, so an operator can read it. */
  readonly artifacts?: ArtifactSet;
}

/**
 * The holder hands in artifacts for an approval gate of the current phase. The same digest
 * again changes nothing; other artifacts replace the pending request (and need a new approval).
 */
export function requestApproval(task: Task, params: ApprovalRequestParams, clock: Clock): Task {
  const now = clock.now();
  assertActiveHolder(task, params.agentId, now);
  const pending = pendingRequest(task, params.gateId);
  if (pending?.digest === params.digest) return task;
  const request: ApprovalRequest = {
    gate_id: params.gateId,
    phase: task.phase,
    digest: params.digest,
    artifacts: [...params.artifactTypes],
    by: params.agentId,
    at: isoTime(now),
  };
  const others = (task.approval_requests ?? []).filter(
    (r) => !(r.gate_id === params.gateId && r.phase === task.phase),
  );
  return change(task, now, params.agentId, 'approval_requested', `${params.gateId} ${params.digest}`, {
    artifacts: withArtifacts(task, task.phase, params.artifacts),
    approval_requests: [...others, request],
  });
}

/** The pending request for a gate in the task's current phase, or null. */
export function pendingRequest(task: Task, gateId: string): ApprovalRequest | null {
  return (task.approval_requests ?? []).find((r) => r.gate_id === gateId && r.phase === task.phase) ?? null;
}

export interface ApprovalParams {
  readonly gateId: string;
  readonly decision: ApprovalDecision;
  readonly by: string;
  readonly comment?: string;
  /** The digest the operator says they reviewed; refused when it is not the pending one. */
  readonly digest?: string;
}

/**
 * Records an operator's decision on the pending request of an approval gate in the task's
 * current phase, bound to its digest. Earlier decisions are kept. Refused: nothing submitted
 * (`nothing_to_approve`), a digest other than the pending one (`approval_digest_mismatch`), and a
 * decider who worked on the task as an agent (`self_approval`).
 */
export function recordApproval(task: Task, params: ApprovalParams, clock: Clock): Task {
  assertNotTerminal(task);
  if (params.gateId.trim() === '') throw new InvalidInputError('invalid_gate', 'gate_id must not be empty');
  const pending = pendingRequest(task, params.gateId);
  if (!pending) {
    throw new ConflictError(
      'nothing_to_approve',
      `gate '${params.gateId}' has nothing to decide on in phase ${task.phase}: no artifacts were submitted for it ` +
        '(the agent submits them with a transition, which then waits for this decision)',
      { task_id: task.id, gate: params.gateId, phase: task.phase },
    );
  }
  if (params.digest !== undefined && params.digest !== pending.digest) {
    throw new ConflictError(
      'approval_digest_mismatch',
      `the artifacts submitted for gate '${params.gateId}' are ${pending.digest}, not ${params.digest}: ` +
        'read the task again and decide on what is there',
      { task_id: task.id, gate: params.gateId, digest: pending.digest },
    );
  }
  if (workedOn(task, params.by)) {
    throw new ForbiddenError(
      'self_approval',
      `'${params.by}' worked on task ${task.id} as an agent and may not decide its gates`,
      { task_id: task.id, gate: params.gateId },
    );
  }
  const now = clock.now();
  const approval = {
    gate_id: params.gateId,
    phase: task.phase,
    decision: params.decision,
    by: params.by,
    comment: params.comment ?? null,
    at: isoTime(now),
    digest: pending.digest,
    artifacts: [...pending.artifacts],
  };
  return change(
    task,
    now,
    params.by,
    'approval_recorded',
    `${params.gateId} ${params.decision} ${pending.digest}`,
    { approvals: [...task.approvals, approval] },
  );
}

/** Did `subject` ever hold the task or submit artifacts for its approval? */
function workedOn(task: Task, subject: string): boolean {
  return (
    task.holder === subject ||
    task.history.some(
      (h) => h.actor === subject && (h.action === 'claimed' || h.action === 'approval_requested'),
    )
  );
}

/**
 * The digest each approval gate's latest decision in `phase` approved, by gate id. A gate whose
 * latest decision is a rejection, or an approval without a digest, is absent (nothing passes it).
 */
export function approvedDigests(task: Task, phase: string = task.phase): Map<string, string> {
  const latest = new Map<string, string | undefined>();
  for (const approval of task.approvals) {
    if (approval.phase !== phase) continue;
    latest.set(approval.gate_id, approval.decision === 'approved' ? approval.digest : undefined);
  }
  const approved = new Map<string, string>();
  for (const [gate, digest] of latest) if (digest !== undefined) approved.set(gate, digest);
  return approved;
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
  const common = {
    holder: null,
    lease_expires_at: null,
    last_heartbeat_at: null,
    token_version: task.token_version + 1,
  };
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

/** Does `agentId` hold the task now, or did it ever claim it (its history says so)? */
export function everHeldBy(task: Task, agentId: string): boolean {
  return task.holder === agentId || task.history.some((h) => h.action === 'claimed' && h.actor === agentId);
}

/** Does `agentId` hold the task with a lease that has not run out (the sweeper may lag behind)? */
export function holdsLiveLease(task: Task, agentId: string, now: number): boolean {
  const expiresAt = timeMs(task.lease_expires_at);
  return task.status === 'claimed' && task.holder === agentId && expiresAt !== null && now < expiresAt;
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
