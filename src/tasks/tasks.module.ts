import { Module, type OnModuleInit } from '@nestjs/common';
import { StatusRegistry } from '../status/status-registry.js';
import { StateRepository } from '../state/state.repository.js';
import { WorkflowModule } from '../workflow/workflow.module.js';
import { AgentTasksController } from './agent-tasks.controller.js';
import { AgentTasksService } from './agent-tasks.service.js';
import { LeaseSweeper } from './lease-sweeper.js';
import { OperatorTasksController } from './operator-tasks.controller.js';
import { OperatorTasksService } from './operator-tasks.service.js';
import { OperatorViewsController } from './operator-views.controller.js';
import { OperatorViewsService } from './operator-views.service.js';
import { PhaseTokenService } from './phase-token.service.js';
import { StateSnapshotController } from './state-snapshot.controller.js';
import { StateSnapshotService } from './state-snapshot.service.js';
import { TaskMetrics } from './task-metrics.js';
import { UnloadedWorkflowCheck } from './unloaded-workflow-check.js';
import { TaskWorkflows } from './workflow-of-task.js';

@Module({
  imports: [WorkflowModule],
  // Agent routes first: `POST /api/v1/tasks/claim` must not be taken for a task id.
  controllers: [
    AgentTasksController,
    OperatorTasksController,
    OperatorViewsController,
    StateSnapshotController,
  ],
  providers: [
    AgentTasksService,
    OperatorTasksService,
    OperatorViewsService,
    StateSnapshotService,
    PhaseTokenService,
    TaskWorkflows,
    TaskMetrics,
    LeaseSweeper,
    UnloadedWorkflowCheck,
  ],
  exports: [AgentTasksService, PhaseTokenService, TaskWorkflows],
})
export class TasksModule implements OnModuleInit {
  constructor(
    private readonly status: StatusRegistry,
    private readonly state: StateRepository,
  ) {}

  onModuleInit(): void {
    this.status.contribute(async () => ({ tasks: await this.state.countByStatus() }));
  }
}
