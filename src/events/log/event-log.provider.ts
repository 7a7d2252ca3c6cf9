import { resolve } from 'node:path';
import { Logger, type Provider } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { BackendDatabase } from '../../database/database.module.js';
import { EventLog, NoEventLog } from './event-log.js';
import { JsonlEventLog } from './jsonl-event-log.js';
import { PostgresEventLog } from './postgres-event-log.js';

/**
 * `EventLog` per backend: with postgres, events are always kept in the database (a restart or
 * another instance must be able to resume a stream); otherwise a JSONL file when
 * `event.enable_event_persistence` is on, else nothing.
 */
export const eventLogProvider: Provider = {
  provide: EventLog,
  inject: [AppConfig, BackendDatabase],
  useFactory: (config: AppConfig, database: BackendDatabase): EventLog => {
    const logger = new Logger('EventLog');
    const warn = (message: string) => logger.error(message);
    const { max_history, enable_event_persistence, event_persistence_file } = config.values.event;
    if (config.values.state.backend === 'postgres') {
      const shared = database.required();
      return new PostgresEventLog({
        pool: shared.use(),
        keep: max_history,
        warn,
        release: () => shared.release(),
      });
    }
    if (!enable_event_persistence) return new NoEventLog();
    return new JsonlEventLog(resolve(config.baseDir, event_persistence_file), warn);
  },
};
