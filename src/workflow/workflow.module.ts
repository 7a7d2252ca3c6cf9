import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { WorkflowHealthIndicator } from './workflow.health.js';
import { WorkflowRegistry } from './workflow.registry.js';
import { WorkflowsController } from './workflows.controller.js';

/** Loads the workflows at start-up and serves them; AppConfig comes from the global config module. */
@Module({
  imports: [TerminusModule],
  controllers: [WorkflowsController],
  providers: [WorkflowRegistry, WorkflowHealthIndicator],
  exports: [WorkflowRegistry, WorkflowHealthIndicator],
})
export class WorkflowModule {}
