import { type Clock } from '../../common/domain/clock.js';

export interface RateDecision {
  allowed: boolean;
  /** Whole seconds until the next request would be allowed (0 when allowed). */
  retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Buckets kept before idle, full ones are dropped. */
const MAX_BUCKETS = 10_000;

/**
 * A token bucket per subject: `perMinute` requests a minute, with bursts up to `perMinute`.
 * One runaway agent empties only its own bucket.
 */
export class SubjectRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  take(subject: string): RateDecision {
    const now = this.clock.now();
    const bucket = this.buckets.get(subject) ?? { tokens: this.perMinute, updatedAt: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    if (!this.buckets.has(subject)) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropFullBuckets(now);
      this.buckets.set(subject, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000)),
    };
  }

  private dropFullBuckets(now: number): void {
    for (const [subject, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs >= this.perMinute)
        this.buckets.delete(subject);
    }
  }
}
