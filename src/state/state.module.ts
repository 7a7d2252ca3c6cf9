import {
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '../config/app-config.js';
import { HealthRegistry } from '../health/health-registry.js';
import { openStateRepository } from './open-state-repository.js';
import { StateRepository } from './state.repository.js';

/** Registers the store's readiness indicator and closes it (flush + checkpoint) at shutdown. */
@Injectable()
export class StateLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly state: StateRepository,
    private readonly registry: HealthRegistry,
    private readonly health: HealthIndicatorService,
  ) {}

  onModuleInit(): void {
    this.registry.register('state_store', async () => {
      const { status, backend, details } = await this.state.health();
      const check = this.health.check('state_store');
      return status === 'up' ? check.up({ backend, ...details }) : check.down({ backend, ...details });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
  }
}

/** Provides `StateRepository` (memory or file, per `state.backend`) to the whole app. */
@Global()
@Module({
  providers: [
    {
      provide: StateRepository,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const logger = new Logger('StateStore');
        return openStateRepository({
          config: config.values.state,
          baseDir: config.baseDir,
          onWarning: (warning) => logger.warn(`${warning.code}: ${warning.message}`),
        });
      },
    },
    StateLifecycle,
  ],
  exports: [StateRepository],
})
export class StateModule {}
