import { dirname, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { type Clock } from '../../common/domain/clock.js';
import { type AppConfig } from '../../config/app-config.js';
import { type EventSequence } from './event-sequence.js';
import { FileEventSequence } from './file-event-sequence.js';
import { MemoryEventSequence } from './memory-event-sequence.js';

/** The file sequence lives in the state directory (checked by preflight, owned through the state lock). */
export function eventSequencePath(config: AppConfig): string {
  return resolve(config.baseDir, dirname(config.values.state.state_file), 'event-sequence.json');
}

/** Ids of a process that numbers its own events: durable beside the file store, in memory beside the memory store. */
export function eventSequenceFor(config: AppConfig, clock: Clock): EventSequence {
  if (config.values.state.backend === 'memory') return new MemoryEventSequence(clock);
  const logger = new Logger('EventSequence');
  return new FileEventSequence({
    file: eventSequencePath(config),
    clock,
    onWarning: (message) => logger.warn(message),
  });
}
