import { type BeforeApplicationShutdown, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { AuditTrail } from '../audit/audit-trail.js';
import { Clock } from '../common/domain/clock.js';
import { DomainError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { EventBus } from '../events/event-bus.js';
import { type AuthenticatedRequest } from './auth.decorators.js';
import { DEFAULT_MAX_KEYS } from './domain/rate-limiter.js';
import { RefusalAggregator, type RefusalSummary } from './domain/refusal-aggregator.js';
import { sourceKey } from './domain/request-source.js';
import { type RequestScope, requestScopeOf } from '../common/http/request-scope.js';

export interface Refusal {
  actor?: string;
  role?: string;
  err: unknown;
  route?: string;
  task_id?: string;
  /** The request's source address, for refusals of requests nobody is authenticated on. */
  source?: string;
}

/** How often ended windows are looked for; a summary is written at most this late. */
const FLUSH_EVERY_MS = 1000;

/**
 * Every refused credential is counted (metric), and audited and emitted as `auth.failed` — one
 * by one for the first `security.auth_failure_audit_burst` of a source (or authenticated subject)
 * in each `security.auth_failure_window_seconds`, then as one `auth.failure.summary` entry and
 * event per source and window with the count and the codes, written when the window ends and at
 * shutdown. A flood of junk tokens thus costs a few entries, and cannot rotate real ones out of
 * the kept audit files. The token itself is never recorded.
 */
@Injectable()
export class AuthFailures implements OnModuleDestroy, BeforeApplicationShutdown {
  private readonly counter: Counter<'code'>;
  private readonly aggregator: RefusalAggregator;
  private readonly timer: NodeJS.Timeout;
  /** After the shutdown flush nothing is held back: every refusal is written. */
  private closing = false;

  constructor(
    private readonly events: EventBus,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    config: AppConfig,
    registry: Registry,
  ) {
    this.counter = new Counter({
      name: 'orchestrator_auth_failures_total',
      help: 'Refused authentications and authorizations, by error code',
      labelNames: ['code'],
      registers: [registry],
    });
    const { auth_failure_window_seconds, auth_failure_audit_burst } = config.values.security;
    this.aggregator = new RefusalAggregator(
      auth_failure_window_seconds * 1000,
      auth_failure_audit_burst,
      DEFAULT_MAX_KEYS,
    );
    this.timer = setInterval(
      () => this.writeSummaries(this.aggregator.due(this.clock.now())),
      FLUSH_EVERY_MS,
    );
    this.timer.unref();
  }

  /** A refusal by the access-token guard: keyed by the request's source address. */
  record(request: AuthenticatedRequest, err: unknown): void {
    this.refused(
      {
        actor: request.principal?.sub,
        role: request.principal?.role,
        err,
        route: request.routeOptions?.url,
        source: sourceKey(request.ip),
      },
      requestScopeOf(request),
    );
  }

  /** Any refusal of a credential (access or phase token). */
  refused(input: Refusal, scope?: RequestScope | null): void {
    const code = input.err instanceof DomainError ? input.err.code : 'error';
    this.counter.inc({ code });
    const key = input.actor ? `subject:${input.actor}` : `source:${input.source ?? 'unknown'}`;
    const { write, evicted } = this.closing
      ? { write: true, evicted: undefined }
      : this.aggregator.add(key, code, this.clock.now());
    if (evicted) this.writeSummaries([evicted]);
    if (!write) return;
    const message = input.err instanceof Error ? input.err.message : String(input.err);
    this.events.publish('auth.failed', {
      actor: input.actor,
      ...(input.task_id ? { task_id: input.task_id } : {}),
      data: { code, route: input.route ?? null, ...(input.source ? { source: input.source } : {}) },
    });
    this.audit.recordRefusal(
      {
        actor: input.actor ?? 'anonymous',
        role: input.role ?? null,
        action: 'auth.failure',
        decision: 'denied',
        success: false,
        task_id: input.task_id ?? null,
        reason: message,
        details: { code, route: input.route ?? null, ...(input.source ? { source: input.source } : {}) },
      },
      scope,
    );
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Before the audit log closes (onApplicationShutdown): every pending summary is written. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all(this.writeSummaries(this.aggregator.drain()));
  }

  private writeSummaries(summaries: RefusalSummary[]): Array<Promise<unknown>> {
    return summaries.map((summary) => {
      const subject = summary.key.startsWith('subject:') ? summary.key.slice('subject:'.length) : null;
      const source = subject === null ? summary.key.slice('source:'.length) : null;
      const facts = {
        count: summary.count,
        codes: summary.codes,
        ...(source !== null ? { source } : {}),
        window_start: new Date(summary.windowStart).toISOString(),
        window_end: new Date(summary.windowEnd).toISOString(),
        last_at: new Date(summary.lastAt).toISOString(),
      };
      this.events.publish('auth.failed', {
        ...(subject ? { actor: subject } : {}),
        data: { summary: true, ...facts },
      });
      return this.audit
        .record({
          actor: subject ?? 'anonymous',
          role: null,
          action: 'auth.failure.summary',
          decision: 'denied',
          success: false,
          reason: `${summary.count} more refused credentials from ${subject ?? source} in this window`,
          details: facts,
        })
        .catch(() => undefined);
    });
  }
}
