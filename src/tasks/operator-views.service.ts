import { Injectable } from '@nestjs/common';
import { AuditStore } from '../audit/audit.store.js';
import { Clock } from '../common/domain/clock.js';
import { StateRepository } from '../state/state.repository.js';
import { agentsView } from './domain/agents-view.js';
import { undecidedRequests } from './domain/pending-approvals.js';
import { type Task, type TaskStatus } from './domain/task.model.js';
import {
  type AgentsViewDto,
  type PendingApprovalDto,
  type PendingApprovalsDto,
} from './dto/operator-views.dto.js';
import { TaskWorkflows } from './workflow-of-task.js';

/** Denials counted by the agents view: this far back… */
export const DENIAL_WINDOW_MS = 60 * 60_000;
/** …and at most this many (one page of the audit query). */
export const MAX_COUNTED_DENIALS = 1000;
/** Page size while reading every task of a status. */
const PAGE = 500;

/** The operator's read-only views across tasks (issue 20): pending approvals, agents. */
@Injectable()
export class OperatorViewsService {
  constructor(
    private readonly state: StateRepository,
    private readonly audit: AuditStore,
    private readonly workflows: TaskWorkflows,
    private readonly clock: Clock,
  ) {}

  /** Every approval request of an open (queued or claimed) task no decision answered, oldest first. */
  async pendingApprovals(): Promise<PendingApprovalsDto> {
    const approvals: PendingApprovalDto[] = [];
    for (const status of ['claimed', 'queued'] as const) {
      for await (const task of this.tasksWithStatus(status)) {
        for (const request of undecidedRequests(task)) {
          approvals.push({
            task_id: task.id,
            title: task.title,
            workflow: { ...task.workflow },
            phase: request.phase,
            gate_id: request.gate_id,
            approvers: [...this.workflows.approversOf(task, request.gate_id)],
            requested_at: request.at,
            requested_by: request.by,
            digest: request.digest,
            artifacts: [...request.artifacts],
          });
        }
      }
    }
    approvals.sort((a, b) =>
      a.requested_at < b.requested_at ? -1 : a.requested_at > b.requested_at ? 1 : 0,
    );
    return { approvals };
  }

  /**
   * Who holds what (the claimed tasks) and who was denied in the last hour. The denials are one
   * bounded audit query (decision denied, role agent, since an hour ago, newest 1000), which
   * every adapter answers without reading the whole log.
   */
  async agents(): Promise<AgentsViewDto> {
    const since = new Date(this.clock.now() - DENIAL_WINDOW_MS).toISOString();
    const [held, denied] = await Promise.all([
      this.collect(this.tasksWithStatus('claimed')),
      this.audit.query({ decision: 'denied', role: 'agent', since, limit: MAX_COUNTED_DENIALS }),
    ]);
    const denials = denied.entries.map((e) => ({
      ts: e.ts,
      actor: e.actor,
      task_id: e.task_id,
      tool: e.tool,
      reason: e.reason,
    }));
    return {
      agents: agentsView(held, denials),
      denials_since: since,
      denials_truncated: denied.next_cursor !== null,
    };
  }

  private async *tasksWithStatus(status: TaskStatus): AsyncGenerator<Task> {
    let cursor: string | undefined;
    do {
      const page = await this.state.listTasks({ status, limit: PAGE, cursor });
      yield* page.tasks;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  private async collect(tasks: AsyncGenerator<Task>): Promise<Task[]> {
    const all: Task[] = [];
    for await (const task of tasks) all.push(task);
    return all;
  }
}
