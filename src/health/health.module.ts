import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CoreHealthIndicators } from './core.indicators.js';
import { HealthController } from './health.controller.js';
import { HealthRegistry } from './health-registry.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [HealthRegistry, CoreHealthIndicators],
  exports: [HealthRegistry, TerminusModule],
})
export class HealthModule {}
