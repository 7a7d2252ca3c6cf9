import { Logger, type Provider } from '@nestjs/common';
import { Clock } from '../../common/domain/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { BackendDatabase } from '../../database/database.module.js';
import { InstanceInfo } from '../../status/instance.js';
import { StateRepository } from '../../state/state.repository.js';
import { eventLogFor } from '../log/event-log.provider.js';
import { eventSequenceFor } from '../sequence/event-sequence.provider.js';
import { EventPipeline } from './event-pipeline.js';
import { LocalEventPipeline } from './local-event-pipeline.js';
import { PostgresEventPipeline } from './postgres-event-pipeline.js';
import { eventChannel } from './event-rows.js';

/** The safety poll for events of other instances: the longest a lost NOTIFY delays one. */
const EVENT_POLL_MS = 1000;

/** `EventPipeline` per `state.backend`: the database orders events with postgres, this process otherwise. */
export const eventPipelineProvider: Provider = {
  provide: EventPipeline,
  // StateRepository is injected only so that the store (and with it the state directory's lock)
  // is open before the file sequence is touched: one process owns that directory.
  inject: [AppConfig, Clock, StateRepository, BackendDatabase, InstanceInfo],
  useFactory: (
    config: AppConfig,
    clock: Clock,
    _state: unknown,
    database: BackendDatabase,
    instance: InstanceInfo,
  ): EventPipeline => {
    if (config.values.state.backend !== 'postgres') {
      return new LocalEventPipeline(eventSequenceFor(config, clock), eventLogFor(config));
    }
    const logger = new Logger('EventPipeline');
    const shared = database.required();
    const listen = database.listen!;
    return new PostgresEventPipeline({
      pool: shared.use(),
      clock,
      keep: config.values.event.max_history,
      warn: (message) => logger.error(message),
      release: () => shared.release(),
      channel: eventChannel(config.values.database.schema),
      instanceId: instance.id,
      follow: {
        connect: async () => {
          const { connectDatabase } = await import('../../database/database-connection.js');
          return connectDatabase(listen, {
            applicationName: `orchestrator ${instance.id} listener`,
            statementTimeoutMs: 0,
          });
        },
        pollMs: EVENT_POLL_MS,
        reconnectMs: EVENT_POLL_MS,
        info: (message) => logger.log(message),
      },
    });
  },
};
