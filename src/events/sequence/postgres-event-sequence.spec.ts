import { ManualClock } from '../../common/domain/clock.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import type pg from 'pg';
import { PostgresEventSequence } from './postgres-event-sequence.js';

describe('PostgresEventSequence across instances', () => {
  let db: TestDatabase & { pool: pg.Pool };
  beforeAll(async () => {
    db = await createMigratedTestDatabase();
  });
  afterAll(() => db.drop());

  it('two processes on one database never hand out the same id, over many block boundaries', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const a = new PostgresEventSequence({ pool: db.pool, clock, blockSize: 8 });
    const b = new PostgresEventSequence({ pool: db.pool, clock, blockSize: 8 });
    await Promise.all([a.open(0), b.open(0)]);
    const seen = new Set<number>();
    for (let round = 0; round < 50; round++) {
      for (const sequence of [a, b]) {
        for (let i = 0; i < 3; i++) seen.add(sequence.next());
      }
      // The reservations made ahead land between requests (a block of 10,000 leaves 5,000 ids of room).
      await Promise.all([a.whenReservedAhead(), b.whenReservedAhead()]);
    }
    expect(seen.size).toBe(300);
    await Promise.all([a.close(), b.close()]);
    const c = new PostgresEventSequence({ pool: db.pool, clock, blockSize: 8 });
    await c.open(0);
    expect(c.next()).toBeGreaterThan(Math.max(...seen));
  });
});
