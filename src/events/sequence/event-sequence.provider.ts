import { dirname, resolve } from 'node:path';
import { Logger, type Provider } from '@nestjs/common';
import { Clock } from '../../common/domain/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { StateRepository } from '../../state/state.repository.js';
import { EventSequence } from './event-sequence.js';
import { FileEventSequence } from './file-event-sequence.js';
import { MemoryEventSequence } from './memory-event-sequence.js';
import { PostgresEventSequence } from './postgres-event-sequence.js';
import { BackendDatabase } from '../../database/database.module.js';

/** The file sequence lives in the state directory (checked by preflight, owned through the state lock). */
export function eventSequencePath(config: AppConfig): string {
  return resolve(config.baseDir, dirname(config.values.state.state_file), 'event-sequence.json');
}

/** `EventSequence` per `state.backend`: durable beside the file store or in the database, in memory beside the memory store. */
export const eventSequenceProvider: Provider = {
  provide: EventSequence,
  // StateRepository is injected only so that the store (and with it the directory lock) is
  // open before the sequence file is touched: one process owns that directory.
  inject: [AppConfig, Clock, StateRepository, BackendDatabase],
  useFactory: (
    config: AppConfig,
    clock: Clock,
    _state: unknown,
    database: BackendDatabase,
  ): EventSequence => {
    if (config.values.state.backend === 'memory') return new MemoryEventSequence(clock);
    const logger = new Logger('EventSequence');
    if (config.values.state.backend === 'postgres') {
      const shared = database.required();
      return new PostgresEventSequence({
        pool: shared.use(),
        clock,
        onWarning: (message) => logger.warn(message),
        release: () => shared.release(),
      });
    }
    return new FileEventSequence({
      file: eventSequencePath(config),
      clock,
      onWarning: (message) => logger.warn(message),
    });
  },
};
