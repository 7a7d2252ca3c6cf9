import { Global, Module } from '@nestjs/common';
import { EventBus } from './event-bus.js';
import { EventsController } from './events.controller.js';
import { eventSequenceProvider } from './sequence/event-sequence.provider.js';
import { eventLogProvider } from './log/event-log.provider.js';

@Global()
@Module({
  controllers: [EventsController],
  providers: [eventSequenceProvider, eventLogProvider, EventBus],
  exports: [EventBus],
})
export class EventsModule {}
