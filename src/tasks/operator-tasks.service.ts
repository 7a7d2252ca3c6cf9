import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/domain/clock.js';
import { InvalidInputError, NotFoundError } from '../common/domain/domain-error.js';
import { IdGenerator } from '../common/domain/ids.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { EventBus } from '../events/event-bus.js';
import { AuditOutbox } from '../state/outbox/audit-outbox.js';
import { StateRepository } from '../state/state.repository.js';
import { WorkflowRegistry } from '../workflow/workflow.registry.js';
import { createTask } from './domain/task-factory.js';
import { type ApprovalDecision } from './domain/task.model.js';
import * as machine from './domain/task-state-machine.js';
import { type CreateTaskDto, type ListTasksQueryDto } from './dto/operator-requests.dto.js';
import { type TaskDto, type TaskPageDto } from './dto/task.dto.js';
import { taskSummary, taskView } from './task-views.js';
import { TaskWorkflows } from './workflow-of-task.js';

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
  ) {}

  async create(operator: AccessClaims, request: CreateTaskDto): Promise<TaskDto> {
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
    const stored = await this.state.createTask(task, {
      audit: (stored) =>
        this.outbox.entry({
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
        }),
    });
    await this.outbox.deliver();
    this.events.publish('task.created', {
      task_id: stored.id,
      actor: operator.sub,
      data: {
        title: stored.title,
        workflow: stored.workflow,
        dependencies: stored.dependencies,
        priority: stored.priority,
      },
    });
    return taskView(stored);
  }

  async list(query: ListTasksQueryDto): Promise<TaskPageDto> {
    const page = await this.state.listTasks({
      status: query.status,
      phase: query.phase,
      agentId: query.agent_id,
      limit: query.limit ?? 50,
      cursor: query.cursor,
    });
    return { tasks: page.tasks.map(taskSummary), total: page.total, next_cursor: page.next_cursor };
  }

  async get(id: string): Promise<TaskDto> {
    const task = await this.state.getTask(id);
    if (!task) throw new NotFoundError('task_not_found', `no task with id '${id}'`);
    return taskView(task);
  }

  async cancel(operator: AccessClaims, id: string, reason?: string): Promise<TaskDto> {
    const task = await this.state.mutateTask(
      id,
      (current) => machine.cancel(current, { actor: operator.sub, reason }, this.clock),
      {
        audit: (next) =>
          this.outbox.entry({
            actor: operator.sub,
            role: operator.role,
            action: 'task.cancel',
            decision: 'allowed',
            success: true,
            task_id: id,
            phase: next.phase,
            reason: reason ?? null,
          }),
      },
    );
    await this.outbox.deliver();
    this.events.publish('task.cancelled', {
      task_id: id,
      actor: operator.sub,
      data: { reason: reason ?? null, phase: task.phase },
    });
    return taskView(task);
  }

  /** Records an approval or rejection for an approval gate of the task's workflow. */
  async decideGate(
    operator: AccessClaims,
    id: string,
    gateId: string,
    decision: ApprovalDecision,
    comment?: string,
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
    const task = await this.state.mutateTask(
      id,
      (t) =>
        machine.recordApproval(
          t,
          { gateId, phase: gate.phase, decision, by: operator.sub, comment },
          this.clock,
        ),
      {
        audit: () =>
          this.outbox.entry({
            actor: operator.sub,
            role: operator.role,
            action: decision === 'approved' ? 'task.approve' : 'task.reject',
            decision: 'allowed',
            success: true,
            task_id: id,
            phase: gate.phase,
            reason: comment ?? null,
            details: { gate: gateId },
          }),
      },
    );
    await this.outbox.deliver();
    this.events.publish(decision === 'approved' ? 'gate.approved' : 'gate.rejected', {
      task_id: id,
      actor: operator.sub,
      data: { gate: gateId, phase: gate.phase, comment: comment ?? null },
    });
    return taskView(task);
  }
}
