import { type Task } from './domain/task.model.js';
import { type TaskDto, type TaskSummaryDto } from './dto/task.dto.js';

export function taskView(task: Task): TaskDto {
  return task as unknown as TaskDto;
}

export function taskSummary(task: Task): TaskSummaryDto {
  const { artifacts: _artifacts, approvals: _approvals, history: _history, ...summary } = task;
  return summary as unknown as TaskSummaryDto;
}
