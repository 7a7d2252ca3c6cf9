import { Global, Module } from '@nestjs/common';
import { EventBus } from './event-bus.js';
import { EventsController } from './events.controller.js';
import { eventPipelineProvider } from './pipeline/event-pipeline.provider.js';

@Global()
@Module({
  controllers: [EventsController],
  providers: [eventPipelineProvider, EventBus],
  exports: [EventBus],
})
export class EventsModule {}
