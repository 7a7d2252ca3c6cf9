import { ManualClock } from '../../common/domain/clock.js';
import { SubjectRateLimiter } from './rate-limiter.js';

describe('SubjectRateLimiter', () => {
  it('allows a burst of perMinute, then refuses with the seconds until the next token', () => {
    const clock = new ManualClock();
    const limiter = new SubjectRateLimiter(6, clock);
    for (let i = 0; i < 6; i++) expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.advance(10_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps subjects apart', () => {
    const limiter = new SubjectRateLimiter(1, new ManualClock());
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('refills up to the burst size only', () => {
    const clock = new ManualClock();
    const limiter = new SubjectRateLimiter(2, clock);
    clock.advance(10 * 60_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });
});

describe('SubjectRateLimiter memory', () => {
  it('tracks at most maxKeys, forgetting the least recently used', () => {
    const limiter = new SubjectRateLimiter(1, new ManualClock(), 3);
    for (const key of ['a', 'b', 'c']) limiter.take(key);
    limiter.take('a'); // refused, and now the most recent
    for (let i = 0; i < 1000; i++) limiter.take(`spoofed-${i % 2}`);
    expect(limiter.size).toBe(3);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });
});

describe('SubjectRateLimiter with a rate that changes (a share of a cluster-wide limit)', () => {
  it('allows the current share: a burst of it, then refills at it', () => {
    const clock = new ManualClock(0);
    let instances = 1;
    const limiter = new SubjectRateLimiter(() => 60 / instances, clock);
    instances = 3; // two more instances joined before the first request
    const burst = Array.from({ length: 30 }, () => limiter.take('agent').allowed);
    expect(burst.filter(Boolean)).toHaveLength(20);
    clock.advance(3000); // 20 a minute: one more token
    expect(limiter.take('agent').allowed).toBe(true);
    expect(limiter.take('agent')).toEqual({ allowed: false, retryAfterSeconds: 3 });
  });
});
