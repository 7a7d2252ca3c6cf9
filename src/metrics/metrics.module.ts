import { Global, Module } from '@nestjs/common';
import { Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { registerProcessMetrics } from './process-metrics.js';

/**
 * Prometheus metrics on prom-client. Each app gets its own `Registry` (injectable by its
 * class) holding the process defaults; modules register their metrics on it where their
 * code crosses a boundary.
 *
 * Not @willsoto/nestjs-prometheus: it is CommonJS and `require`s the ESM-only Nest 12,
 * which Node 20 allows but Jest cannot load; what it adds over prom-client is one controller.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        registerProcessMetrics(registry);
        return registry;
      },
    },
    HttpMetrics,
  ],
  exports: [Registry, HttpMetrics],
})
export class MetricsModule {}
