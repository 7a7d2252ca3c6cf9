import {
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { BackendDatabase } from '../database/database.module.js';
import { InstanceInfo } from '../status/instance.js';
import { HealthRegistry } from '../health/health-registry.js';
import { openStateRepository } from './open-state-repository.js';
import { StateRepository } from './state.repository.js';

/** Registers the store's readiness indicator and closes it (flush + checkpoint) at shutdown. */
@Injectable()
export class StateLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly state: StateRepository,
    private readonly registry: HealthRegistry,
    private readonly database: BackendDatabase,
  ) {}

  onModuleInit(): void {
    this.registry.registerStore('state_store', () => this.state.health());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.state.close();
    await this.database.shared?.release();
  }
}

/** Provides `StateRepository` (memory, file or postgres, per `state.backend`) to the whole app. */
@Global()
@Module({
  providers: [
    {
      provide: StateRepository,
      inject: [AppConfig, BackendDatabase, InstanceInfo],
      useFactory: (config: AppConfig, database: BackendDatabase, instance: InstanceInfo) => {
        const logger = new Logger('StateStore');
        // Its share of the pool is given back by StateLifecycle once the store is closed.
        database.shared?.use();
        return openStateRepository({
          config: config.values.state,
          baseDir: config.baseDir,
          database: database.shared,
          instanceId: instance.id,
          onWarning: (warning) => logger.warn(`${warning.code}: ${warning.message}`),
        });
      },
    },
    StateLifecycle,
  ],
  exports: [StateRepository],
})
export class StateModule {}
