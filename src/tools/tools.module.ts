import { Module } from '@nestjs/common';
import { resolve } from 'node:path';
import { Clock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { WorkflowModule } from '../workflow/workflow.module.js';
import { ToolRegistry } from './domain/tool.registry.js';
import { ToolMetrics } from './tool-metrics.js';
import { ToolsController } from './tools.controller.js';
import { ToolsService } from './tools.service.js';

@Module({
  imports: [TasksModule, WorkflowModule],
  controllers: [ToolsController],
  exports: [ToolsService],
  providers: [
    {
      provide: ToolRegistry,
      inject: [AppConfig, Clock],
      useFactory: (config: AppConfig, clock: Clock) =>
        ToolRegistry.create({
          workspaceRoot: resolve(config.baseDir, config.values.tools.workspace_root),
          commandTimeoutSeconds: config.values.tools.command_timeout_seconds,
          maxOutputKb: config.values.tools.max_output_kb,
          clock,
        }),
    },
    ToolMetrics,
    ToolsService,
  ],
})
export class ToolsModule {}
