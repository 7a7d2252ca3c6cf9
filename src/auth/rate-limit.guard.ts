import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { DomainError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { InstanceHeartbeat } from '../instances/instance-heartbeat.js';
import { type AuthenticatedRequest } from './auth.decorators.js';
import { SubjectRateLimiter } from './domain/rate-limiter.js';

/**
 * `security.rate_limit_per_minute` per access-token subject (0 = off): 429 `rate_limited`
 * with Retry-After. Runs after authentication, so it counts only identified callers.
 * The limit is the cluster's: each instance allows its share (the limit divided by the live
 * instances it saw at its last heartbeat, at least 1 a minute), so with the load spread over
 * the instances a subject gets about the limit in all (docs/SECURITY.md says how close).
 *
 * Written here rather than with @nestjs/throttler: that package is CommonJS and requires the
 * ESM-only Nest 12 (see the metrics module), and a per-subject bucket is a few lines.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter: SubjectRateLimiter | null;

  constructor(config: AppConfig, clock: Clock, instances: InstanceHeartbeat) {
    const perMinute = config.values.security.rate_limit_per_minute;
    const share = () => Math.max(1, perMinute / instances.liveCount);
    this.limiter = perMinute > 0 ? new SubjectRateLimiter(share, clock) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    const subject = context.switchToHttp().getRequest<AuthenticatedRequest>().principal?.sub;
    if (!this.limiter || !subject) return true;
    const decision = this.limiter.take(subject);
    if (decision.allowed) return true;
    throw new DomainError(
      'rate_limited',
      'rate_limited',
      `rate limit of security.rate_limit_per_minute exceeded for '${subject}'`,
      {
        retry_after_seconds: decision.retryAfterSeconds,
      },
    );
  }
}
