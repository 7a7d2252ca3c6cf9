import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { type FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';

/**
 * `/metrics` in Prometheus text exposition format 0.0.4: @willsoto/nestjs-prometheus's controller
 * (prom-client's registry, its content type), made public and documented. The path is set by
 * `PrometheusModule.register({ path })`.
 */
@ApiTags('service')
@Public()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  // The operation id of earlier releases, when the handler was ours and named `scrape`.
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    operationId: 'MetricsController_scrape',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Metrics in Prometheus text format 0.0.4', schema: { type: 'string' } })
  override index(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    return super.index(reply);
  }
}
