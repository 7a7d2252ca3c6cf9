import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { HealthRegistry } from './health-registry.js';

/**
 * Kubernetes-style probes. Liveness says the process answers; readiness runs every
 * registered indicator and answers 503 naming the failing ones.
 */
@ApiTags('service')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly registry: HealthRegistry,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Combined health: liveness and every readiness indicator' })
  @ApiServiceUnavailableResponse({ description: 'An indicator is down; `error` names it' })
  combined(): Promise<HealthCheckResult> {
    return this.health.check(this.registry.readiness());
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: config, state directory, disk space and module indicators' })
  @ApiServiceUnavailableResponse({ description: 'An indicator is down; `error` names it' })
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.registry.readiness());
  }
}
