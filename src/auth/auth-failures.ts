import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { DomainError } from '../common/domain/domain-error.js';
import { EventBus } from '../events/event-bus.js';
import { type AuthenticatedRequest } from './auth.decorators.js';

/** Every refused authentication becomes an `auth.failed` event and a counted metric (never the token). */
@Injectable()
export class AuthFailures {
  private readonly counter: Counter<'code'>;

  constructor(
    private readonly events: EventBus,
    registry: Registry,
  ) {
    this.counter = new Counter({
      name: 'orchestrator_auth_failures_total',
      help: 'Refused authentications and authorizations, by error code',
      labelNames: ['code'],
      registers: [registry],
    });
  }

  record(request: AuthenticatedRequest, err: unknown): void {
    const code = err instanceof DomainError ? err.code : 'error';
    this.counter.inc({ code });
    this.events.publish('auth.failed', {
      actor: request.principal?.sub,
      data: {
        code,
        method: request.method,
        route: request.routeOptions?.url ?? null,
        request_id: request.id,
      },
    });
  }
}
