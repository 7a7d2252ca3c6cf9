import { setTimeout as sleep } from 'node:timers/promises';
import { ManualClock } from '../../common/domain/clock.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { PostgresAuditStore } from '../postgres/postgres-audit.store.js';
import { runPostgresAuditTail } from './audit-tail-postgres.command.js';

describe('audit tail on postgres', () => {
  let db: TestDatabase & { pool: import('pg').Pool };
  let store: PostgresAuditStore;

  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    store = await PostgresAuditStore.open(db.pool, { clock: new ManualClock() });
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  const append = (n: number) =>
    store.append({ actor: 'op', action: `test.${n}`, decision: 'allowed', success: true });

  function capture() {
    const out: string[] = [];
    return { out, io: { out: (line: string) => out.push(line), err: () => undefined } };
  }

  it('prints the last N entries oldest first, then follows new ones in order until stopped', async () => {
    for (let n = 1; n <= 5; n++) await append(n);
    const { out, io } = capture();
    expect(await runPostgresAuditTail(db.pool, { count: 2, io })).toBe(0);
    expect(out.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['test.4', 'test.5']);

    const followed = capture();
    const stop = new AbortController();
    const tail = runPostgresAuditTail(db.pool, {
      count: 0,
      follow: true,
      signal: stop.signal,
      pollMs: 10,
      io: followed.io,
    });
    // From the last entry printed on: whenever the appends land, they come after it.
    await append(6);
    await append(7);
    for (let i = 0; i < 200 && followed.out.length < 3; i++) await sleep(10);
    stop.abort();
    expect(await tail).toBe(0);
    expect(followed.out.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual([
      'test.6',
      'test.7',
    ]);
  });
});
