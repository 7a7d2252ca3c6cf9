import { RefusalAggregator } from './refusal-aggregator.js';

describe('RefusalAggregator', () => {
  it('writes the first burst of a window, then counts the rest into one summary', () => {
    const agg = new RefusalAggregator(60_000, 2, 100);
    const writes = Array.from(
      { length: 7000 },
      (_, i) => agg.add('10.0.0.1', i % 3 ? 'invalid_token' : 'missing_token', 1000 + i).write,
    );
    expect(writes.filter(Boolean)).toHaveLength(2);
    expect(agg.due(60_999)).toEqual([]);
    expect(agg.due(61_000)).toEqual([
      {
        key: '10.0.0.1',
        count: 6998,
        codes: { invalid_token: 4665, missing_token: 2333 },
        windowStart: 1000,
        windowEnd: 61_000,
        lastAt: 7999,
      },
    ]);
    expect(agg.size).toBe(0);
  });

  it('keeps sources apart and starts a new window after one ends', () => {
    const agg = new RefusalAggregator(1000, 1, 100);
    expect(agg.add('a', 'x', 0).write).toBe(true);
    expect(agg.add('b', 'x', 0).write).toBe(true);
    expect(agg.add('a', 'x', 10).write).toBe(false);
    const next = agg.add('a', 'x', 1000);
    expect(next.write).toBe(true);
    expect(next.evicted).toMatchObject({ key: 'a', count: 1 });
    expect(agg.due(5000)).toEqual([]);
  });

  it('closes a window with nothing counted without a summary', () => {
    const agg = new RefusalAggregator(1000, 5, 100);
    agg.add('a', 'x', 0);
    expect(agg.due(1000)).toEqual([]);
    expect(agg.drain()).toEqual([]);
  });

  it('bounds the keys it tracks by summarizing the oldest early, never dropping a count', () => {
    const agg = new RefusalAggregator(60_000, 0, 3);
    let counted = 0;
    let summarized = 0;
    for (let i = 0; i < 1000; i++) {
      const { write, evicted } = agg.add(`src-${i}`, 'invalid_token', i);
      if (!write) counted++;
      summarized += evicted?.count ?? 0;
      expect(agg.size).toBeLessThanOrEqual(3);
    }
    summarized += agg.drain().reduce((n, s) => n + s.count, 0);
    expect(summarized).toBe(counted);
  });
});
