import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/domain/clock.js';
import {
  DomainError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
} from '../common/domain/domain-error.js';
import { IdGenerator } from '../common/domain/ids.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { EventBus } from '../events/event-bus.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { StateRepository } from '../state/state.repository.js';
import { describeApprovers, mayApprove } from '../workflow/domain/approvers.js';
import { WorkflowRegistry } from '../workflow/workflow.registry.js';
import { createTask } from './domain/task-factory.js';
import { type ApprovalDecision, type Task } from './domain/task.model.js';
import * as machine from './domain/task-state-machine.js';
import {
  type CreateTaskDto,
  type GateDecisionDto,
  type ListTasksQueryDto,
  type RequeueDto,
} from './dto/operator-requests.dto.js';
import { type TaskDto, type TaskPageDto } from './dto/task.dto.js';
import { taskSummary, taskView } from './task-views.js';
import { TaskWorkflows } from './workflow-of-task.js';
import { type RequestScope } from '../common/http/request-scope.js';

/** The operator's side: enqueue, inspect, cancel, and decide approval gates. */
@Injectable()
export class OperatorTasksService {
  constructor(
    private readonly state: StateRepository,
    private readonly registry: WorkflowRegistry,
    private readonly workflows: TaskWorkflows,
    private readonly events: EventBus,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly outbox: AuditOutbox,
    private readonly audit: AuditTrail,
  ) {}

  private readonly approversOf = (task: Task, gateId: string) => this.workflows.approversOf(task, gateId);

  async create(
    operator: AccessClaims,
    request: CreateTaskDto,
    scope?: RequestScope | null,
  ): Promise<TaskDto> {
    const workflow = request.workflow ? this.registry.get(request.workflow) : this.registry.getDefault();
    const task = createTask(
      {
        title: request.title,
        description: request.description,
        workflow: { name: workflow.name, version: workflow.version },
        initialPhase: workflow.phases[0].id,
        capabilities: request.capabilities,
        dependencies: request.dependencies,
        priority: request.priority,
        maxAttempts: request.max_attempts ?? this.config.values.tasks.max_attempts,
        createdBy: operator.sub,
      },
      { clock: this.clock, ids: this.ids },
    );
    const events = (created: Task) => [
      this.events.draft('task.created', {
        task_id: created.id,
        actor: operator.sub,
        data: {
          title: created.title,
          workflow: created.workflow,
          dependencies: created.dependencies,
          priority: created.priority,
        },
      }),
    ];
    const stored = await this.state.createTask(task, {
      audit: (stored) =>
        this.outbox.entry(
          {
            actor: operator.sub,
            role: operator.role,
            action: 'task.create',
            decision: 'allowed',
            success: true,
            task_id: stored.id,
            phase: stored.phase,
            details: {
              title: stored.title,
              workflow: stored.workflow,
              dependencies: stored.dependencies,
              priority: stored.priority,
            },
          },
          scope,
        ),
      events,
    });
    await Promise.all([this.outbox.deliver(), this.events.committed(events(stored))]);
    return taskView(stored, this.approversOf);
  }

  async list(query: ListTasksQueryDto): Promise<TaskPageDto> {
    const page = await this.state.listTasks({
      status: query.status,
      phase: query.phase,
      agentId: query.agent_id,
      blocked: query.blocked,
      limit: query.limit ?? 50,
      cursor: query.cursor,
    });
    return {
      tasks: page.tasks.map((t) => taskSummary(t, this.approversOf)),
      total: page.total,
      next_cursor: page.next_cursor,
    };
  }

  async get(id: string): Promise<TaskDto> {
    const task = await this.state.getTask(id);
    if (!task) throw new NotFoundError('task_not_found', `no task with id '${id}'`);
    return taskView(task, this.approversOf);
  }

  async cancel(
    operator: AccessClaims,
    id: string,
    reason?: string,
    scope?: RequestScope | null,
  ): Promise<TaskDto> {
    const events = (cancelled: Task) => [
      this.events.draft('task.cancelled', {
        task_id: id,
        actor: operator.sub,
        data: { reason: reason ?? null, phase: cancelled.phase },
      }),
    ];
    const task = await this.state.mutateTask(
      id,
      (current) => machine.cancel(current, { actor: operator.sub, reason }, this.clock),
      {
        audit: (next) =>
          this.outbox.entry(
            {
              actor: operator.sub,
              role: operator.role,
              action: 'task.cancel',
              decision: 'allowed',
              success: true,
              task_id: id,
              phase: next.phase,
              reason: reason ?? null,
            },
            scope,
          ),
        events,
      },
    );
    await Promise.all([this.outbox.deliver(), this.events.committed(events(task))]);
    return taskView(task, this.approversOf);
  }

  /**
   * Puts a failed or cancelled task back in the queue (issue 20): attempts reset unless
   * `reset_attempts: false`. Stored with its audit entry like a cancel; a refusal (wrong status,
   * no attempts left) is audited directly, as it stores nothing.
   */
  async requeue(
    operator: AccessClaims,
    id: string,
    request: RequeueDto = {},
    scope?: RequestScope | null,
  ): Promise<TaskDto> {
    const resetAttempts = request.reset_attempts ?? true;
    const reason = request.reason;
    let before: Task | null = null;
    const events = (requeued: Task) => [
      this.events.draft('task.requeued', {
        task_id: id,
        actor: operator.sub,
        data: {
          from_status: before?.status ?? null,
          phase: requeued.phase,
          reset_attempts: resetAttempts,
          attempts: requeued.attempts,
          reason: reason ?? null,
        },
      }),
    ];
    let task: Task;
    try {
      task = await this.state.mutateTask(
        id,
        (current) => {
          before = current;
          return machine.requeue(current, { actor: operator.sub, reason, resetAttempts }, this.clock);
        },
        {
          audit: (next) =>
            this.outbox.entry(
              {
                actor: operator.sub,
                role: operator.role,
                action: 'task.requeue',
                decision: 'allowed',
                success: true,
                task_id: id,
                phase: next.phase,
                reason: reason ?? null,
                details: {
                  from_status: before?.status ?? null,
                  reset_attempts: resetAttempts,
                  attempts_before: before?.attempts ?? null,
                  attempts: next.attempts,
                },
              },
              scope,
            ),
          events,
        },
      );
    } catch (err) {
      if (!(err instanceof DomainError) || !REQUEUE_REFUSALS.has(err.code)) throw err;
      const refused = before as Task | null;
      await this.audit.record(
        {
          actor: operator.sub,
          role: operator.role,
          action: 'task.requeue',
          decision: 'denied',
          success: false,
          task_id: id,
          phase: refused?.phase ?? null,
          reason: err.message,
          details: { code: err.code, status: refused?.status ?? null, reset_attempts: resetAttempts },
        },
        scope,
      );
      throw err;
    }
    await Promise.all([this.outbox.deliver(), this.events.committed(events(task))]);
    return taskView(task, this.approversOf);
  }

  /**
   * Records an approval or rejection of an approval gate: only by one of the gate's approvers,
   * never by an agent of the task, and only for the artifacts submitted for it (their digest is
   * recorded, and only a transition carrying those artifacts passes). Refusals are audited.
   */
  async decideGate(
    operator: AccessClaims,
    id: string,
    gateId: string,
    decision: ApprovalDecision,
    request: GateDecisionDto = {},
    scope?: RequestScope | null,
  ): Promise<TaskDto> {
    const current = await this.state.getTask(id);
    if (!current) throw new NotFoundError('task_not_found', `no task with id '${id}'`);
    const gate = this.workflows.of(current).runtime.gates.get(gateId);
    if (!gate)
      throw new NotFoundError(
        'gate_not_found',
        `workflow '${current.workflow.name}' has no gate '${gateId}'`,
      );
    if (gate.spec.type !== 'approval') {
      throw new InvalidInputError(
        'not_an_approval_gate',
        `gate '${gateId}' is a ${gate.spec.type} gate: it passes on its checks, not by approval`,
      );
    }
    let task: Task | null = null;
    let refusal: DomainError | null = null;
    const action = decision === 'approved' ? 'task.approve' : 'task.reject';
    const events = (result: Task) => {
      const recorded = result.approvals.at(-1);
      if (!recorded) throw new Error('gate decision recorded nothing');
      return [
        this.events.draft(decision === 'approved' ? 'gate.approved' : 'gate.rejected', {
          task_id: id,
          actor: operator.sub,
          data: {
            gate: gateId,
            phase: recorded.phase,
            comment: recorded.comment,
            digest: recorded.digest ?? null,
            artifacts: recorded.artifacts ?? [],
          },
        }),
      ];
    };
    try {
      if (!mayApprove(gate.spec.approvers, operator)) {
        throw new ForbiddenError(
          'not_an_approver',
          `'${operator.sub}' (role ${operator.role}) may not decide gate '${gateId}': its approvers are ${describeApprovers(gate.spec.approvers)}`,
          { gate: gateId },
        );
      }
      // Checked and written in one atomic step on the task as it is then; the entry is stored with it.
      task = await this.state.mutateTask(
        id,
        (t) =>
          machine.recordApproval(
            t,
            { gateId, decision, by: operator.sub, comment: request.comment, digest: request.digest },
            this.clock,
          ),
        {
          audit: (result) => {
            const recorded = result.approvals.at(-1);
            return this.outbox.entry(
              {
                actor: operator.sub,
                role: operator.role,
                action,
                decision: 'allowed',
                success: true,
                task_id: id,
                phase: result.phase,
                reason: request.comment ?? null,
                details: {
                  gate: gateId,
                  ...(recorded ? { digest: recorded.digest, artifacts: recorded.artifacts } : {}),
                  ...(request.digest ? { requested_digest: request.digest } : {}),
                },
              },
              scope,
            );
          },
          events,
        },
      );
    } catch (err) {
      if (!(err instanceof DomainError) || !GATE_DECISION_REFUSALS.has(err.code)) throw err;
      refusal = err;
    }
    if (refusal) {
      // A refusal stores nothing, so it is audited directly.
      await this.audit.record(
        {
          actor: operator.sub,
          role: operator.role,
          action,
          decision: 'denied',
          success: false,
          task_id: id,
          phase: current.phase,
          reason: refusal.message,
          details: {
            gate: gateId,
            code: refusal.code,
            ...(request.digest ? { requested_digest: request.digest } : {}),
          },
        },
        scope,
      );
      throw refusal;
    }
    if (!task) throw new Error('gate decision recorded nothing');
    await Promise.all([this.outbox.deliver(), this.events.committed(events(task))]);
    return taskView(task, this.approversOf);
  }
}

/** Refusals of a requeue that are audited. */
const REQUEUE_REFUSALS = new Set(['task_not_requeueable', 'no_attempts_left']);

/** Refusals of a gate decision that are audited (who tried to decide what, and why not). */
const GATE_DECISION_REFUSALS = new Set([
  'not_an_approver',
  'self_approval',
  'nothing_to_approve',
  'approval_digest_mismatch',
  'task_terminal',
]);
