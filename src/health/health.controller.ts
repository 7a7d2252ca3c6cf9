import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { Public } from '../auth/auth.decorators.js';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { type FastifyReply } from 'fastify';
import { type HealthIndicatorFn, HealthRegistry } from './health-registry.js';

/**
 * Kubernetes-style probes. Liveness says the process answers; readiness runs every
 * registered indicator and answers 503 with Terminus' report, whose `error` names the
 * failing indicators (the format probes and dashboards expect, not the API error body).
 */
@ApiTags('service')
@Public()
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
  combined(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.report(this.registry.readiness(), reply);
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  live(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.report([], reply);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: config, state directory, disk space and module indicators' })
  @ApiServiceUnavailableResponse({ description: 'An indicator is down; `error` names it' })
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    return this.report(this.registry.readiness(), reply);
  }

  private async report(indicators: HealthIndicatorFn[], reply: FastifyReply): Promise<HealthCheckResult> {
    try {
      return await this.health.check(indicators);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse() as HealthCheckResult;
    }
  }
}
