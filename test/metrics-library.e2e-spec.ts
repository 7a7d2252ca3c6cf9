import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

/**
 * Runs under plain Node, not Jest: @willsoto/nestjs-prometheus is CommonJS and `require`s the
 * ESM-only Nest 12, which Node 20 does and Jest on Node 20 cannot. Reads the built MetricsModule.
 */
const PROBE = `
import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { PrometheusController, PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register, Registry } from 'prom-client';
import { MetricsModule } from './dist/metrics/metrics.module.js';
import { MetricsController } from './dist/metrics/metrics.controller.js';

const ref = await Test.createTestingModule({ imports: [MetricsModule] }).compile();
const imports = Reflect.getMetadata('imports', MetricsModule) ?? [];
const text = await ref.get(Registry).metrics();
console.log(JSON.stringify({
  importsPrometheusModule: imports.some((m) => m?.module === PrometheusModule),
  controllerIsPrometheusController: ref.get(MetricsController) instanceof PrometheusController,
  registryIsTheOneServed: ref.get(Registry) === register,
  path: Reflect.getMetadata('path', MetricsController),
  hasHttpMetrics: text.includes('# TYPE http_requests_total counter'),
  hasProcessMetrics: text.includes('process_cpu_user_seconds_total'),
  hasMisnamedGauges: /nodejs_active_(handles|requests|resources)_total/.test(text),
}));
await ref.close();
`;

describe('/metrics through @willsoto/nestjs-prometheus', () => {
  it("serves the registry PrometheusModule's controller serves, with our metrics on it", () => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    // No require(esm) warning either: Node 20.19+ loads Nest for the CommonJS package silently.
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      importsPrometheusModule: true,
      controllerIsPrometheusController: true,
      registryIsTheOneServed: true,
      path: '/metrics',
      hasHttpMetrics: true,
      hasProcessMetrics: true,
      hasMisnamedGauges: false,
    });
  });
});
