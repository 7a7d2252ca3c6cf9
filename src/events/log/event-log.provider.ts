import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { EventLog, NoEventLog } from './event-log.js';
import { JsonlEventLog } from './jsonl-event-log.js';

/**
 * The `EventLog` of a process that numbers its own events (memory, file): a JSONL file when
 * `event.enable_event_persistence` is on, else nothing. (With postgres the database keeps them.)
 */
export function eventLogFor(config: AppConfig): EventLog {
  const { enable_event_persistence, event_persistence_file } = config.values.event;
  if (!enable_event_persistence) return new NoEventLog();
  const logger = new Logger('EventLog');
  return new JsonlEventLog(resolve(config.baseDir, event_persistence_file), (message) =>
    logger.error(message),
  );
}
