import { Global, Module } from '@nestjs/common';
import { EventBus } from './event-bus.js';
import { EventsController } from './events.controller.js';
import { eventSequenceProvider } from './sequence/event-sequence.provider.js';

@Global()
@Module({
  controllers: [EventsController],
  providers: [eventSequenceProvider, EventBus],
  exports: [EventBus],
})
export class EventsModule {}
