import { Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthRegistry } from '../health/health-registry.js';
import { StatusRegistry } from '../status/status-registry.js';
import { WorkflowRegistry } from './workflow.registry.js';

/**
 * Readiness indicator `workflow`: the default workflow is loaded. On start-up it adds itself
 * to the health registry and the workflow name, version and mode to `GET /`; both are
 * optional so the module also runs on its own (tests, tools).
 */
@Injectable()
export class WorkflowHealthIndicator implements OnModuleInit {
  constructor(
    private readonly registry: WorkflowRegistry,
    private readonly health: HealthIndicatorService,
    @Optional() private readonly healthRegistry?: HealthRegistry,
    @Optional() private readonly statusRegistry?: StatusRegistry,
  ) {}

  onModuleInit(): void {
    this.healthRegistry?.register('workflow', () => this.isHealthy());
    this.statusRegistry?.contribute(() => ({ workflow: this.registry.status() }));
  }

  isHealthy() {
    const check = this.health.check('workflow');
    try {
      return check.up({ ...this.registry.status() });
    } catch (err) {
      return check.down({ message: `workflow not loaded: ${(err as Error).message.split('\n')[0]}` });
    }
  }
}
