import { type FastifyInstance } from 'fastify';
import { redactUrl } from '../common/domain/redaction.js';
import { REQUEST_ID_HEADER } from '../common/http/request-id.js';
import { enterRequestContext } from '../common/http/request-context.js';
import { type HttpMetrics } from '../metrics/http-metrics.js';

/** Label for requests no route matched: one value, so unknown URLs cannot explode label sets. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * One log line and one metrics observation per answered request, labelled by the route
 * template (`/api/v1/tasks/:id`), never the raw URL.
 */
export function observeRequests(fastify: FastifyInstance, metrics: HttpMetrics): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    enterRequestContext({ requestId: request.id });
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const duration = Math.round(reply.elapsedTime * 100) / 100;
    metrics.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info(
      { method: request.method, route, url: redactUrl(request.url), status: reply.statusCode, duration },
      'request completed',
    );
    done();
  });
}
