import { undecidedRequests } from './domain/pending-approvals.js';
import { type Task } from './domain/task.model.js';
import { type BlockedOnDto, type ClaimedTaskDto, type TaskDto, type TaskSummaryDto } from './dto/task.dto.js';
import { blockerView } from './blocker-view.js';

/** The approvers of a task's gate as its workflow writes them; empty for a gate that is not an approval gate. */
export type ApproversOf = (task: Task, gateId: string) => readonly string[];

export function taskView(task: Task, approversOf: ApproversOf): TaskDto {
  // Tasks stored before approval requests, heartbeat stamps or blocked_on existed have none.
  const view = {
    ...task,
    approval_requests: task.approval_requests ?? [],
    last_heartbeat_at: task.last_heartbeat_at ?? null,
    blocked_on: blockedOnView(task, approversOf),
  };
  return view as unknown as TaskDto;
}

/** The task as a claim answers it: with the earlier orchestrator's `agent_id` and `assigned_phase`. */
export function claimedTaskView(task: Task, approversOf: ApproversOf): ClaimedTaskDto {
  return { ...taskView(task, approversOf), agent_id: task.holder as string, assigned_phase: task.phase };
}

export function taskSummary(task: Task, approversOf: ApproversOf): TaskSummaryDto {
  const {
    artifacts: _artifacts,
    approvals: _approvals,
    approval_requests: _requests,
    history: _history,
    ...summary
  } = taskView(task, approversOf);
  return summary as unknown as TaskSummaryDto;
}

/** `blocked_on` as the API shows it: the stored refusal, with the approval state as it is now. */
export function blockedOnView(task: Task, approversOf: ApproversOf): BlockedOnDto | null {
  const stored = task.blocked_on;
  if (!stored) return null;
  const gate = stored.gate_id;
  const pending = gate !== null && undecidedRequests(task).some((r) => r.gate_id === gate);
  return {
    at: stored.at,
    phase: stored.phase,
    to_phase: stored.to_phase,
    gate_id: gate,
    approval_pending: pending,
    approvers: gate === null ? [] : [...approversOf(task, gate)],
    ...blockerView(stored.blocker_details),
  } as BlockedOnDto;
}
