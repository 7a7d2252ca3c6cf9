import { type BlockedOn } from './blocked-on.js';

/**
 * The task as the queue and the state machine see it. Field names are the wire names
 * (snake_case) so the API and the state file show the same shape; times are ISO 8601 UTC.
 * Tasks are immutable values: every state change produces a new object.
 */
export const TASK_STATUSES = ['queued', 'claimed', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const TERMINAL: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['completed', 'failed', 'cancelled']);

/**
 * Completed, failed and cancelled tasks are done: no agent moves them again. Only an operator's
 * requeue brings a failed or cancelled one back to the queue.
 */
export function isTerminalStatus(status: TaskStatus): boolean {
  return TERMINAL.has(status);
}

/** The workflow a task was created with; later workflow versions do not affect it. */
export interface WorkflowRef {
  readonly name: string;
  readonly version: string;
}

/** Artifacts of one phase, by artifact type (e.g. `plan`, `test_results`). */
export type ArtifactSet = Readonly<Record<string, unknown>>;
/** Artifacts by the phase that produced them. */
export type PhaseArtifacts = Readonly<Record<string, ArtifactSet>>;

export type ApprovalDecision = 'approved' | 'rejected';

/** An operator's decision on an approval gate, bound to the artifacts it was given for. */
export interface Approval {
  readonly gate_id: string;
  /** The phase the task was in (the gate is checked on leaving it). */
  readonly phase: string;
  readonly decision: ApprovalDecision;
  readonly by: string;
  readonly comment: string | null;
  readonly at: string;
  /**
   * `sha256:…` of the artifacts decided on (see `artifactDigest`); only a transition carrying
   * artifacts with this digest passes the gate. Absent on approvals stored before digests
   * existed: those bind to nothing and pass no gate.
   */
  readonly digest?: string;
  /** Types of the artifacts the digest covers, for people reading the task. */
  readonly artifacts?: readonly string[];
}

/**
 * Artifacts an agent handed in for an approval gate: a transition that only the missing
 * approval blocked. The approval of that gate names this digest. One per gate and phase; a
 * transition out of the phase clears them.
 */
export interface ApprovalRequest {
  readonly gate_id: string;
  readonly phase: string;
  readonly digest: string;
  /** Types of the artifacts the digest covers. */
  readonly artifacts: readonly string[];
  /** The agent that submitted them (it may not approve them). */
  readonly by: string;
  readonly at: string;
}

export const TASK_ACTIONS = [
  'created',
  'claimed',
  'transitioned',
  'released',
  'failed',
  'lease_expired',
  'completed',
  'cancelled',
  'approval_recorded',
  'approval_requested',
  'requeued',
] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/** One line of a task's history: what happened, when, by whom, and what it changed. */
export interface TaskHistoryEntry {
  readonly at: string;
  readonly actor: string;
  readonly action: TaskAction;
  readonly from_phase: string | null;
  readonly to_phase: string;
  readonly from_status: TaskStatus | null;
  readonly to_status: TaskStatus;
  readonly reason: string | null;
}

export interface Task {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly workflow: WorkflowRef;
  readonly phase: string;
  readonly status: TaskStatus;
  /** Agent holding the task while `claimed`; null otherwise. */
  readonly holder: string | null;
  /** Capabilities an agent must have to claim the task (sorted, unique). */
  readonly capabilities: readonly string[];
  /** Ids of tasks that must be `completed` before this one is eligible. */
  readonly dependencies: readonly string[];
  /** Higher is claimed first. */
  readonly priority: number;
  /** Number of claims so far; each claim starts an attempt. */
  readonly attempts: number;
  readonly max_attempts: number;
  readonly lease_expires_at: string | null;
  /**
   * The holder's last heartbeat or resume in this attempt; null before the first, and after the
   * attempt. Absent on tasks stored before it existed.
   */
  readonly last_heartbeat_at?: string | null;
  /** Not eligible before this time (retry backoff after a released, failed or expired attempt). */
  readonly retry_not_before: string | null;
  /** Bumped by every claim, transition, release, failure, lease expiry, completion and cancel. */
  readonly token_version: number;
  readonly artifacts: PhaseArtifacts;
  readonly approvals: readonly Approval[];
  /** Pending submissions for approval gates; absent on tasks stored before they existed. */
  readonly approval_requests?: readonly ApprovalRequest[];
  readonly history: readonly TaskHistoryEntry[];
  /**
   * Why the last transition or completion request was refused (see `blocked-on.ts`); null once
   * the task left that phase or was requeued. Absent on tasks stored before it existed.
   */
  readonly blocked_on?: BlockedOn | null;
  readonly created_at: string;
  readonly updated_at: string;
  /** Set when the task reaches `completed`. */
  readonly completed_at: string | null;
  /** Set when the task reaches `failed`. */
  readonly failure_reason: string | null;
}

/** ISO 8601 UTC text of an epoch-milliseconds time. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch milliseconds of an ISO time, or null for null. */
export function timeMs(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}
