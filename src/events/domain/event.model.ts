/** Everything that changes state is announced as one of these (DESIGN.md §1). */
export const EVENT_TYPES = [
  'task.created',
  'task.claimed',
  'task.resumed',
  'task.lease_expired',
  'task.transitioned',
  'task.released',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.requeued',
  'gate.passed',
  'gate.blocked',
  'gate.approved',
  'gate.rejected',
  'tool.authorized',
  'tool.denied',
  'tool.executed',
  'token.minted',
  'token.refreshed',
  'token.revoked',
  'auth.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface OrchestratorEvent {
  /** Monotonically increasing; the SSE `id` and the `after` cursor. */
  id: number;
  type: EventType;
  /** ISO-8601 time of the change. */
  at: string;
  task_id?: string;
  /** Who caused it (agent or operator subject), when known. */
  actor?: string;
  data: Record<string, unknown>;
}

/**
 * An event before it has its id: built (redacted, timed) where the change is decided, and
 * numbered where events are ordered — in this process, or by the database's sequencer after the
 * transaction that stored it with its change committed.
 */
export interface EventDraft {
  readonly type: EventType;
  readonly at: string;
  readonly task_id?: string;
  readonly actor?: string;
  readonly data: Record<string, unknown>;
}

/** The draft as the event with `id`. */
export function numberedEvent(draft: EventDraft, id: number): OrchestratorEvent {
  return {
    id,
    type: draft.type,
    at: draft.at,
    ...(draft.task_id !== undefined ? { task_id: draft.task_id } : {}),
    ...(draft.actor !== undefined ? { actor: draft.actor } : {}),
    data: draft.data,
  };
}

export interface EventInput {
  task_id?: string;
  actor?: string;
  data?: Record<string, unknown>;
}

export interface EventQuery {
  type?: EventType;
  task_id?: string;
  /** Only events with an id greater than this. */
  after?: number;
  limit?: number;
}
