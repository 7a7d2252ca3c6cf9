import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register, Registry } from 'prom-client';
import { HttpMetrics } from './http-metrics.js';
import { MetricsController } from './metrics.controller.js';
import { dropMisnamedGauges } from './process-metrics.js';

/**
 * Prometheus metrics through @willsoto/nestjs-prometheus: it serves `/metrics` from prom-client's
 * registry and collects the process defaults there. That registry is injectable as `Registry`;
 * modules register their metrics on it where their code crosses a boundary (they take the
 * registry rather than the package's metric providers, which would put this CommonJS package,
 * which `require`s the ESM-only Nest 12, into the unit tests: Jest on Node 20 cannot load it).
 * The registry is the process's, so a process runs one app (as `serve` does).
 */
@Global()
@Module({
  imports: [PrometheusModule.register({ controller: MetricsController, path: '/metrics' })],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        dropMisnamedGauges(register);
        return register;
      },
    },
    HttpMetrics,
  ],
  exports: [Registry, HttpMetrics],
})
export class MetricsModule {}
