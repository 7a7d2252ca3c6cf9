import { type ApprovalRequest, type Task } from './task.model.js';

/**
 * The task's approval requests in its current phase that no decision answered yet: no approval
 * or rejection of that gate and phase, for that digest, recorded at or after the request. A
 * rejected request is decided; the agent submits other artifacts for a new one.
 */
export function undecidedRequests(task: Task): ApprovalRequest[] {
  return (task.approval_requests ?? []).filter(
    (request) =>
      request.phase === task.phase &&
      !task.approvals.some(
        (a) =>
          a.gate_id === request.gate_id &&
          a.phase === request.phase &&
          a.digest === request.digest &&
          a.at >= request.at,
      ),
  );
}

/** Whether an approval request of `gateId` in the task's phase waits for a decision. */
export function approvalPending(task: Task, gateId: string): boolean {
  return undecidedRequests(task).some((r) => r.gate_id === gateId);
}
