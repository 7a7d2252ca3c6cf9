import { type Task } from './domain/task.model.js';
import { type TaskDto, type TaskSummaryDto } from './dto/task.dto.js';

export function taskView(task: Task): TaskDto {
  // Tasks stored before approval requests existed have none.
  const view = task.approval_requests ? task : { ...task, approval_requests: [] };
  return view as unknown as TaskDto;
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
