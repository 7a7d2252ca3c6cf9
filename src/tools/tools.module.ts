import { Module } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { WorkflowModule } from '../workflow/workflow.module.js';
import { COMMAND_SANDBOX, type CommandSandbox } from './domain/sandbox/command-sandbox.js';
import { ToolRegistry } from './domain/tool.registry.js';
import { Workspace } from './domain/workspace.js';
import { commandSandboxProvider, SandboxLifecycle, workspaceProvider } from './sandbox.provider.js';
import { ToolMetrics } from './tool-metrics.js';
import { ToolsController } from './tools.controller.js';
import { ToolsService } from './tools.service.js';

@Module({
  imports: [TasksModule, WorkflowModule],
  controllers: [ToolsController],
  exports: [ToolsService, ToolMetrics],
  providers: [
    workspaceProvider,
    commandSandboxProvider,
    SandboxLifecycle,
    {
      provide: ToolRegistry,
      inject: [AppConfig, Clock, Workspace, COMMAND_SANDBOX],
      useFactory: (config: AppConfig, clock: Clock, workspace: Workspace, sandbox: CommandSandbox) =>
        ToolRegistry.over(workspace, {
          commandTimeoutSeconds: config.values.tools.command_timeout_seconds,
          maxOutputKb: config.values.tools.max_output_kb,
          sandbox,
          clock,
        }),
    },
    ToolMetrics,
    ToolsService,
  ],
})
export class ToolsModule {}
