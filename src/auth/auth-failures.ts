import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AuditTrail } from '../audit/audit-trail.js';
import { DomainError } from '../common/domain/domain-error.js';
import { EventBus } from '../events/event-bus.js';
import { type AuthenticatedRequest } from './auth.decorators.js';

export interface Refusal {
  actor?: string;
  role?: string;
  err: unknown;
  route?: string;
  task_id?: string;
}

/**
 * Every refused authentication becomes an audit entry, an `auth.failed` event and a counted
 * metric. The token itself is never recorded.
 */
@Injectable()
export class AuthFailures {
  private readonly counter: Counter<'code'>;

  constructor(
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    registry: Registry,
  ) {
    this.counter = new Counter({
      name: 'orchestrator_auth_failures_total',
      help: 'Refused authentications and authorizations, by error code',
      labelNames: ['code'],
      registers: [registry],
    });
  }

  /** A refusal by the access-token guard. */
  record(request: AuthenticatedRequest, err: unknown): void {
    this.refused({
      actor: request.principal?.sub,
      role: request.principal?.role,
      err,
      route: request.routeOptions?.url,
    });
  }

  /** Any refusal of a credential (access or phase token). */
  refused(input: Refusal): void {
    const code = input.err instanceof DomainError ? input.err.code : 'error';
    const message = input.err instanceof Error ? input.err.message : String(input.err);
    this.counter.inc({ code });
    this.events.publish('auth.failed', {
      actor: input.actor,
      ...(input.task_id ? { task_id: input.task_id } : {}),
      data: { code, route: input.route ?? null },
    });
    this.audit.recordRefusal({
      actor: input.actor ?? 'anonymous',
      role: input.role ?? null,
      action: 'auth.failure',
      decision: 'denied',
      success: false,
      task_id: input.task_id ?? null,
      reason: message,
      details: { code, route: input.route ?? null },
    });
  }
}
