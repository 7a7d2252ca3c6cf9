import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { toErrorBody } from './error-body.js';

/**
 * The single place where errors become HTTP responses (DESIGN.md §2). Domain errors map by
 * kind; anything unexpected is logged with its stack and answered with a bare 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const body = toErrorBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error({ err: exception, request_id: request?.id }, 'unhandled error');
    }
    if (reply.sent) return;
    if (typeof body.retry_after_seconds === 'number')
      void reply.header('retry-after', String(body.retry_after_seconds));
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
