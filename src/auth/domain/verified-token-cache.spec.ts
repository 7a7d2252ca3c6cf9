import { VerifiedTokenCache } from './verified-token-cache.js';

describe('VerifiedTokenCache', () => {
  it('returns the claims remembered for a token, frozen', () => {
    const cache = new VerifiedTokenCache<{ sub: string }>(10);
    cache.set('a.b.c', { sub: 'agent-1' });
    const claims = cache.get('a.b.c')!;
    expect(claims).toEqual({ sub: 'agent-1' });
    expect(Object.isFrozen(claims)).toBe(true);
    expect(cache.get('a.b.d')).toBeUndefined();
  });

  it('forgets the oldest token once full', () => {
    const cache = new VerifiedTokenCache<{ n: number }>(2);
    cache.set('t1', { n: 1 });
    cache.set('t2', { n: 2 });
    cache.set('t3', { n: 3 });
    expect(cache.size).toBe(2);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t3')).toEqual({ n: 3 });
  });

  it('remembers nothing with a capacity of 0', () => {
    const cache = new VerifiedTokenCache<{ n: number }>(0);
    expect(cache.set('t1', { n: 1 })).toEqual({ n: 1 });
    expect(cache.get('t1')).toBeUndefined();
  });
});
