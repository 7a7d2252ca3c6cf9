import { type Finding } from '../../workflow/domain/finding.model.js';
import { isoTime, type Task } from './task.model.js';

/**
 * Why the task's last transition or completion request was refused, stored with the task in the
 * same write as the refusal's audit entry (issue 20). Operators read it in the task views; the
 * approval state is not stored here but read from the task's approval requests when shown.
 */
export interface BlockedOn {
  readonly at: string;
  /** The phase the task was in (and still is). */
  readonly phase: string;
  /** The phase asked for, or `completed` for a completion. */
  readonly to_phase: string;
  /** The gate that refused, or null when no gate did (e.g. no such artifact outside a gate). */
  readonly gate_id: string | null;
  /** The blockers the agent was answered with, capped (`MAX_STORED_FINDINGS`, `MAX_FINDING_TEXT`). */
  readonly blocker_details: readonly Finding[];
}

/** At most this many findings are kept: an agent can provoke many, the task must stay small. */
export const MAX_STORED_FINDINGS = 50;
/** Each text field of a kept finding is cut to this many characters. */
export const MAX_FINDING_TEXT = 500;

export interface BlockedParams {
  readonly toPhase: string;
  readonly gateId: string | null;
  readonly blockers: readonly Finding[];
}

/**
 * The task with `blocked_on` recording a refusal at `now`. Nothing else changes: not the token
 * version (the agent's phase token stays good), not `updated_at`, not the history.
 */
export function recordBlocked(task: Task, params: BlockedParams, now: number): Task {
  const blockedOn: BlockedOn = {
    at: isoTime(now),
    phase: task.phase,
    to_phase: params.toPhase,
    gate_id: params.gateId,
    blocker_details: params.blockers.slice(0, MAX_STORED_FINDINGS).map(cappedFinding),
  };
  return { ...task, blocked_on: blockedOn };
}

function cappedFinding(finding: Finding): Finding {
  const capped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(finding)) {
    capped[key] =
      typeof value === 'string' && value.length > MAX_FINDING_TEXT
        ? `${value.slice(0, MAX_FINDING_TEXT)}…`
        : value;
  }
  return capped as unknown as Finding;
}
