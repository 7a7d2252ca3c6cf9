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

/** Keys tracked by default; beyond it the least recently seen key is forgotten. */
export const DEFAULT_MAX_KEYS = 10_000;

/**
 * A token bucket per key (an access-token subject, or a request's source): `perMinute` requests
 * a minute, with bursts up to `perMinute`. One runaway caller empties only its own bucket.
 * Memory is bounded: at `maxKeys` the least recently used bucket goes (a Map keeps insertion
 * order, and every use re-inserts), so a flood of new keys cannot grow it.
 */
export class SubjectRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: () => number;

  /** `perMinute` may change between calls (this instance's share of a cluster-wide limit). */
  constructor(
    perMinute: number | (() => number),
    private readonly clock: Clock,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    this.rate = typeof perMinute === 'number' ? () => perMinute : perMinute;
  }

  take(key: string): RateDecision {
    const now = this.clock.now();
    const perMinute = this.rate();
    const refillPerMs = perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, updatedAt: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.updatedAt) * refillPerMs);
    bucket.updatedAt = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true, retryAfterSeconds: 0 };
    }
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)),
    };
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.buckets.size;
  }
}
