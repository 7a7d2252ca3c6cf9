import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';

/**
 * What a use case needs to know about the request it serves, handed to it as a parameter. Not an
 * AsyncLocalStorage store: on Node 20 a store turns on promise hooks for every promise of the
 * process, which cost about a fifth of a tool authorization (docs/PERFORMANCE.md, issue 19).
 */
export class RequestScope {
  /**
   * Set once an audit entry carrying this request's id is durable: that entry is the request's
   * line in the logs, so the access line is left out when the request succeeds.
   */
  audited = false;

  constructor(readonly requestId: string) {}
}

/**
 * Kept on the request under a symbol nobody else knows, not in a WeakMap: every request would add
 * and later drop a WeakMap entry, which costs more than a property (and more again at each
 * young-generation collection, which treats WeakMap entries specially).
 */
const SCOPE = Symbol('orchestrator.requestScope');
type Scoped = FastifyRequest & { [SCOPE]?: RequestScope };

/** Opens the scope of `request` (once, on arrival). */
export function openRequestScope(request: FastifyRequest): RequestScope {
  const scope = new RequestScope(request.id);
  (request as Scoped)[SCOPE] = scope;
  return scope;
}

/** The scope of `request`, or null for one that never got one (answered before routing). */
export function requestScopeOf(request: FastifyRequest): RequestScope | null {
  return (request as Scoped)[SCOPE] ?? null;
}

/** The request's scope as a controller parameter, to pass on to the use case. */
export const InRequest = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestScope | null =>
  requestScopeOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
