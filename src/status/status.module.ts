import { Global, Module } from '@nestjs/common';
import { StatusController } from './status.controller.js';
import { StatusRegistry } from './status-registry.js';
import { StatusService } from './status.service.js';

@Global()
@Module({
  controllers: [StatusController],
  providers: [StatusRegistry, StatusService],
  exports: [StatusRegistry],
})
export class StatusModule {}
