import { type FastifyInstance } from 'fastify';
import { redactUrl } from '../common/domain/redaction.js';
import { REQUEST_ID_HEADER } from '../common/http/request-id.js';
import { openRequestScope, requestScopeOf } from '../common/http/request-scope.js';
import { type HttpMetrics } from '../metrics/http-metrics.js';

/** Label for requests no route matched: one value, so unknown URLs cannot explode label sets. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * One log line and one metrics observation per answered request, labelled by the route
 * template (`/api/v1/tasks/:id`), never the raw URL. The log line is the access line
 * (`request completed`), except for a successful request that wrote an audit entry: that entry
 * (in the audit log, with the request id) is its line, and the access line would only repeat it
 * (issue 19). A request answered 4xx/5xx always gets the access line.
 */
export function observeRequests(fastify: FastifyInstance, metrics: HttpMetrics): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    openRequestScope(request);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if (requestScopeOf(request)?.audited === true && reply.statusCode < 400) return done();
    const duration = Math.round(reply.elapsedTime * 100) / 100;
    request.log.info(
      { method: request.method, route, url: redactUrl(request.url), status: reply.statusCode, duration },
      'request completed',
    );
    done();
  });
}
