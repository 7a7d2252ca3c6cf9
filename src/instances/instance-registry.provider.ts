import { type Provider } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { BackendDatabase } from '../database/database.module.js';
import { InstanceRegistry } from './instance-registry.js';
import { LocalInstanceRegistry } from './local-instance-registry.js';
import { PostgresInstanceRegistry } from './postgres-instance-registry.js';

/** The registry per `state.backend`: the database's `instances` table with postgres, this process otherwise. */
export const instanceRegistryProvider: Provider = {
  provide: InstanceRegistry,
  inject: [AppConfig, Clock, BackendDatabase],
  useFactory: (config: AppConfig, clock: Clock, database: BackendDatabase): InstanceRegistry =>
    config.values.state.backend === 'postgres'
      ? new PostgresInstanceRegistry(database.required().pool)
      : new LocalInstanceRegistry(clock),
};
