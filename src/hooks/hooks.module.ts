import { Module } from '@nestjs/common';
import { TasksModule } from '../tasks/tasks.module.js';
import { ToolsModule } from '../tools/tools.module.js';
import { HooksController } from './hooks.controller.js';
import { HooksService } from './hooks.service.js';

/** Agent-tool hooks served over HTTP; needs ToolsModule to export ToolsService. */
@Module({
  imports: [TasksModule, ToolsModule],
  controllers: [HooksController],
  providers: [HooksService],
})
export class HooksModule {}
