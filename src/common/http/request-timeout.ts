import { RouteConfig } from '@nestjs/platform-fastify';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { UnavailableError } from '../domain/domain-error.js';
import { toErrorBody } from './error-body.js';

const NO_TIMEOUT = 'orchestratorNoRequestTimeout';

/** Exempts a long-lived route (e.g. an event stream) from `server.timeout`. */
export const NoRequestTimeout = () => RouteConfig({ [NO_TIMEOUT]: true });

/** The request's timer, on the request itself (as its scope is: request-scope.ts says why). */
const TIMER = Symbol('orchestrator.requestTimer');
type Timed = FastifyRequest & { [TIMER]?: NodeJS.Timeout };

/**
 * Answers 503 `request_timeout` when a request (receiving it and running its handler) takes longer
 * than `ms`. A Fastify hook rather than a Nest interceptor: an interceptor puts every request
 * through rxjs, which cost about a tenth of the CPU of a tool authorization.
 */
export function enforceRequestTimeout(fastify: FastifyInstance, ms: number): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const config = request.routeOptions.config as unknown as Record<string, unknown> | undefined;
    if (config?.[NO_TIMEOUT] !== true) {
      const timer = setTimeout(() => answerTimedOut(reply, ms), ms);
      timer.unref();
      (request as Timed)[TIMER] = timer;
    }
    done();
  });
  const clear = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    const timed = request as Timed;
    clearTimeout(timed[TIMER]);
    timed[TIMER] = undefined;
    done();
  };
  fastify.addHook('onResponse', clear);
  fastify.addHook('onRequestAbort', (request, done) => clear(request, undefined as never, done));
}

function answerTimedOut(reply: FastifyReply, ms: number): void {
  if (reply.sent || reply.raw.destroyed) return;
  const body = toErrorBody(
    new UnavailableError('request_timeout', `request took longer than server.timeout (${ms / 1000} s)`),
  );
  void reply.code(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
}
