import {
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
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
  ) {}

  onModuleInit(): void {
    this.registry.registerStore('state_store', () => this.state.health());
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
