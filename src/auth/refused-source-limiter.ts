import { Injectable } from '@nestjs/common';
import { Clock } from '../common/domain/clock.js';
import { DomainError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { type RateDecision, SubjectRateLimiter } from './domain/rate-limiter.js';

/**
 * `security.auth_failure_rate_per_minute` refused credentials per source address (0 = off).
 * Only requests that fail authentication spend from a source's bucket, so a valid token from the
 * same address is never held back by someone else's junk. Sources are `sourceKey`s: the socket
 * address (no X-Forwarded-For is trusted), IPv6 by /64; at most 10,000 are tracked (LRU).
 */
@Injectable()
export class RefusedSourceLimiter {
  private readonly limiter: SubjectRateLimiter | null;

  constructor(config: AppConfig, clock: Clock) {
    const perMinute = config.values.security.auth_failure_rate_per_minute;
    this.limiter = perMinute > 0 ? new SubjectRateLimiter(perMinute, clock) : null;
  }

  /** Spends one refusal of `source`; over the limit, the error to answer with instead (429). */
  refuse(source: string): DomainError | null {
    const decision: RateDecision = this.limiter?.take(source) ?? { allowed: true, retryAfterSeconds: 0 };
    if (decision.allowed) return null;
    return new DomainError(
      'rate_limited',
      'rate_limited',
      'too many refused credentials from this address (security.auth_failure_rate_per_minute): slow down',
      { retry_after_seconds: decision.retryAfterSeconds },
    );
  }
}
