import type { AuditEntryInput } from '../audit/domain/audit-entry.js';
import type { EventDraft } from '../events/domain/event.model.js';
import type { Task, TaskStatus, WorkflowRef } from '../tasks/domain/task.model.js';
import type { OutboxEntry } from './index/state-op.js';

export type { OutboxEntry } from './index/state-op.js';

/** The audit entry of a change, computed from its result; stored with the change (outbox). */
export type AuditOf<T> = (result: T) => AuditEntryInput;

/**
 * The events of a change, computed from its result. An adapter that orders events in the
 * database (postgres) stores them in the change's transaction; the others ignore them and the
 * caller hands the same drafts to `EventBus.committed` after the write.
 */
export type EventsOf<T> = (result: T) => readonly EventDraft[];

export interface ClaimRequest {
  readonly agentId: string;
  readonly capabilities: readonly string[];
  readonly leaseMs: number;
  /** Epoch ms; eligibility (retry backoff) and the lease are computed from it. */
  readonly now: number;
  /**
   * Only tasks pinned to one of these workflow versions are claimed; the others stay queued (their
   * workflow is not loaded here). Undefined: any workflow. Data, not a predicate, so SQL can filter.
   */
  readonly loadedWorkflows?: readonly WorkflowRef[];
  /** The claim's audit entry, stored in the same atomic write as the claim. */
  readonly audit?: AuditOf<Task>;
  readonly events?: EventsOf<Task>;
}

export interface LeaseExpiryRequest {
  readonly now: number;
  readonly retryBackoffMs: number;
  /** Each expiry's audit entry, stored with it. */
  readonly audit?: AuditOf<Task>;
  readonly events?: EventsOf<Task>;
}

export interface CreateOptions {
  /** The creation's audit entry, stored in the same atomic write as the task. */
  readonly audit?: AuditOf<Task>;
  readonly events?: EventsOf<Task>;
}

export interface TaskListQuery {
  readonly status?: TaskStatus;
  readonly phase?: string;
  /** Tasks currently held by this agent. */
  readonly agentId?: string;
  /** true: tasks whose `blocked_on` is set; false: tasks without it. */
  readonly blocked?: boolean;
  /** Page size; default 50. */
  readonly limit?: number;
  /** Skip this many matches (creation order). */
  readonly offset?: number;
  /** Opaque cursor from a previous page's `next_cursor`; takes precedence over `offset`. */
  readonly cursor?: string;
}

export interface TaskPage {
  readonly tasks: readonly Task[];
  /** Matches of the filter, over all pages. */
  readonly total: number;
  /** Cursor of the next page, or null on the last one. */
  readonly next_cursor: string | null;
}

export type StatusCounts = Readonly<Record<TaskStatus, number>>;

/** A response stored for an idempotency key, so a replayed request gets the same answer. */
export interface IdempotencyRecord {
  readonly key: string;
  readonly response: unknown;
  /** Epoch ms after which the record is ignored and may be pruned. */
  readonly expires_at: number;
}

export interface MutateOptions {
  /** Refuse (`stale_token_version`) unless the task's `token_version` is still this. */
  readonly expectedTokenVersion?: number;
  /** Store the response for an idempotency key in the same atomic write as the change. */
  readonly remember?: {
    readonly key: string;
    readonly expiresAt: number;
    readonly response: (task: Task) => unknown;
  };
  /**
   * The change's audit entry, stored in the same atomic write (even when the task itself is
   * unchanged: the decision is still audited).
   */
  readonly audit?: AuditOf<Task>;
  /** The change's events (see `EventsOf`); called with the result, changed or not. */
  readonly events?: EventsOf<Task>;
  /**
   * The task as the caller read it from this store just before. A store may run the mutation
   * on it and swap on its revision without reading the task again (postgres: one statement
   * instead of a transaction); if the task moved since, it reads and runs the mutation again,
   * so the result is the same as without it.
   */
  readonly basis?: Task;
}

/** A pure step from the current task to the next; may throw a DomainError to refuse. */
export type TaskMutation = (current: Task) => Task;

export interface StateHealth {
  readonly status: 'up' | 'down';
  readonly backend: 'memory' | 'file' | 'postgres';
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Port for everything the orchestrator must not forget: tasks, token revocations and
 * idempotency records. It is its own injection token.
 *
 * Contract for every adapter (memory, file, later postgres):
 * - Each mutating method is atomic: it reads, decides and writes without interleaving with
 *   another mutation, and its promise resolves only once the change is durable for that
 *   backend. A rejected mutation changed nothing.
 * - Tasks returned are immutable snapshots (frozen); change them through `mutateTask`.
 * - `claimNextEligible` never hands the same task to two callers.
 * - Audit outbox: a mutation given an `audit` entry stores it, with a fresh `change_id` and the
 *   time, in the same atomic write as the change; it stays in `pendingAudit()` (across
 *   checkpoints, restarts and backups) until `acknowledgeAudit` removes it, which the caller
 *   does once the audit log holds the entry. A crash between the two can only delay an entry.
 * - Events: an adapter may store a mutation's `events` drafts in the same atomic write (postgres:
 *   event_outbox, numbered by the event pipeline); the memory and file adapters ignore them.
 */
export abstract class StateRepository {
  /** Stores a new task after checking its dependencies exist and form no cycle (atomically). */
  abstract createTask(task: Task, options?: CreateOptions): Promise<Task>;

  abstract getTask(id: string): Promise<Task | null>;

  /** The tasks among `ids` that exist, in the order given. */
  abstract getTasks(ids: readonly string[]): Promise<Task[]>;

  /** Filtered page in creation order. */
  abstract listTasks(query: TaskListQuery): Promise<TaskPage>;

  abstract countByStatus(): Promise<StatusCounts>;

  /** Claimed tasks `agentId` holds (lease live or not), in creation order; indexed, not a scan. */
  abstract tasksHeldBy(agentId: string): Promise<Task[]>;

  /**
   * Claims the first eligible task in claim order (priority desc, created_at asc, id) for the
   * agent, or returns null when none is eligible.
   */
  abstract claimNextEligible(request: ClaimRequest): Promise<Task | null>;

  /**
   * Applies `mutation` to the current task and stores the result atomically; returns it.
   * `task_not_found` when there is no such task. Returning the same object stores nothing.
   */
  abstract mutateTask(id: string, mutation: TaskMutation, options?: MutateOptions): Promise<Task>;

  /** Ends every lease that ran out by `now` (see `expireLease`); returns the changed tasks. */
  abstract expireLeases(request: LeaseExpiryRequest): Promise<Task[]>;

  /** The earliest lease expiry among claimed tasks (epoch ms), to schedule the next sweep. */
  abstract nextLeaseExpiry(): Promise<number | null>;

  /**
   * Revokes `jti` with its audit entry; true when this call revoked it. False when it was revoked
   * already: then nothing is stored, the entry neither, so of two racing refreshes of one token
   * only one can rotate it.
   */
  abstract addRevocation(jti: string, expiresAt: number, audit?: AuditEntryInput): Promise<boolean>;

  abstract isRevoked(jti: string): Promise<boolean>;

  /** Forgets revocations whose token expired by `now`; returns how many. */
  abstract pruneRevocations(now: number): Promise<number>;

  /**
   * Stores `record` unless a record live at `now` holds the key; returns the record that
   * holds it (the first writer wins).
   */
  abstract putIdempotencyRecord(record: IdempotencyRecord, now: number): Promise<IdempotencyRecord>;

  /** The live record for `key` at `now`, or null. */
  abstract getIdempotencyRecord(key: string, now: number): Promise<IdempotencyRecord | null>;

  abstract pruneIdempotencyRecords(now: number): Promise<number>;

  /**
   * Whether the caller should run the maintenance job `name` now: true for at most one caller per
   * `everyMs` among every process sharing the store (so replicas do not all prune at once). A
   * store one process owns answers true.
   */
  abstract claimMaintenance(name: string, everyMs: number, now: number): Promise<boolean>;

  /** Audit entries of stored changes not yet acknowledged, oldest first. */
  abstract pendingAudit(): Promise<readonly OutboxEntry[]>;

  /** Forgets outbox entries the audit log now holds; unknown ids are ignored. */
  abstract acknowledgeAudit(changeIds: readonly string[]): Promise<void>;

  /** Compacts durable storage (file: rewrites the snapshot, truncates the journal). */
  abstract checkpoint(): Promise<void>;

  /** Flushes, checkpoints and releases the backend; later calls fail with `state_closed`. */
  abstract close(): Promise<void>;

  abstract health(): Promise<StateHealth>;
}
