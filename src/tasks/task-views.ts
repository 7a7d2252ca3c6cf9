import { type Task } from './domain/task.model.js';
import { type ClaimedTaskDto, type TaskDto, type TaskSummaryDto } from './dto/task.dto.js';

export function taskView(task: Task): TaskDto {
  // Tasks stored before approval requests existed have none.
  const view = task.approval_requests ? task : { ...task, approval_requests: [] };
  return view as unknown as TaskDto;
}

/** The task as a claim answers it: with the earlier orchestrator's `agent_id` and `assigned_phase`. */
export function claimedTaskView(task: Task): ClaimedTaskDto {
  return { ...taskView(task), agent_id: task.holder as string, assigned_phase: task.phase };
}

export function taskSummary(task: Task): TaskSummaryDto {
  const {
    artifacts: _artifacts,
    approvals: _approvals,
    approval_requests: _requests,
    history: _history,
    ...summary
  } = task;
  return summary as unknown as TaskSummaryDto;
}
