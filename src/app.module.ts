import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { type Logger as PinoLogger } from 'pino';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CommonModule } from './common/common.module.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { AuditOutboxModule } from './state/outbox/audit-outbox.js';
import { StateModule } from './state/state.module.js';
import { TasksModule } from './tasks/tasks.module.js';
import { ToolsModule } from './tools/tools.module.js';
import { HooksModule } from './hooks/hooks.module.js';
import { WorkflowModule } from './workflow/workflow.module.js';
import { AllExceptionsFilter } from './common/http/all-exceptions.filter.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { SigningSecret } from './config/signing-secret.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { InstancesModule } from './instances/instances.module.js';
import { InstanceInfo } from './status/instance.js';
import { StatusModule } from './status/status.module.js';

export interface AppModuleOptions {
  config: AppConfig;
  /** The process's root logger; Fastify and Nest both write through it. */
  logger: PinoLogger;
  secret: SigningSecret;
  instance?: InstanceInfo;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    const instance = options.instance ?? new InstanceInfo();
    return {
      module: AppModule,
      global: true,
      imports: [
        AppConfigModule.forRoot(options.config, options.secret),
        CommonModule,
        MetricsModule,
        HealthModule,
        StatusModule,
        DatabaseModule,
        InstancesModule,
        EventsModule,
        StateModule,
        AuditModule,
        AuditOutboxModule,
        AuthModule,
        WorkflowModule,
        TasksModule,
        ToolsModule,
        HooksModule,
      ],
      providers: [
        { provide: InstanceInfo, useValue: instance },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
      exports: [InstanceInfo],
    };
  }
}
