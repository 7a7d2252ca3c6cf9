import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { InstanceInfo } from '../status/instance.js';
import { Registry } from 'prom-client';
import { registerDatabaseMetrics } from './database-metrics.js';
import { registerSequencerLagMetrics } from './sequencer-lag-metric.js';
import { openDatabase } from './open-database.js';
import { type SharedDatabase } from './shared-database.js';
import { type DatabaseTarget, listenTarget } from './database-target.js';

/** The database of `state.backend: postgres`, or none for the file and memory backends. */
export class BackendDatabase {
  constructor(
    readonly shared: SharedDatabase | null,
    /** Where session connections (LISTEN) go; null without a database. */
    readonly listen: DatabaseTarget | null = null,
  ) {}

  /** The shared database; only called by postgres adapters, which exist only with it. */
  required(): SharedDatabase {
    if (!this.shared) throw new Error('state.backend is not postgres: no database is open');
    return this.shared;
  }
}

/** Opens (and migrates) the database at start-up when `state.backend` is postgres. */
@Global()
@Module({
  providers: [
    {
      provide: BackendDatabase,
      inject: [AppConfig, InstanceInfo, Registry],
      useFactory: async (config: AppConfig, instance: InstanceInfo, registry: Registry) => {
        if (config.values.state.backend !== 'postgres') return new BackendDatabase(null);
        const logger = new Logger('Database');
        const opened = await openDatabase(config, `orchestrator ${instance.id}`);
        for (const name of opened.applied) logger.log(`applied migration ${name}`);
        registerDatabaseMetrics(registry, opened.database.pool);
        registerSequencerLagMetrics(registry, opened.database.pool);
        return new BackendDatabase(opened.database, listenTarget(config));
      },
    },
  ],
  exports: [BackendDatabase],
})
export class DatabaseModule {}
