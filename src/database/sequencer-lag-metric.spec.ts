import pg from 'pg';
import { Registry } from 'prom-client';
import { createMigratedTestDatabase, type TestDatabase } from './testing/test-database.js';
import { registerSequencerLagMetrics } from './sequencer-lag-metric.js';

const NOW = Date.UTC(2026, 5, 1, 12);

describe('sequencer lag metrics', () => {
  let db: TestDatabase & { pool: pg.Pool };
  let registry: Registry;

  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    registry = new Registry();
    registerSequencerLagMetrics(registry, db.pool, () => NOW);
  });
  afterEach(() => db.drop());

  const value = async (name: string, log: string) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    return metric?.values.find((v) => v.labels.log === log)?.value;
  };

  it('are 0 while the sequencers keep up', async () => {
    expect(await value('orchestrator_db_sequencer_lag_seconds', 'audit')).toBe(0);
    expect(await value('orchestrator_db_sequencer_backlog', 'events')).toBe(0);
  });

  it('give the age of the oldest waiting audit entry and event, and how many wait', async () => {
    await db.pool.query(
      `INSERT INTO audit_outbox (change_id, stored_at, entry) VALUES ('c1', $1, '{}'), ('c2', $2, '{}')`,
      [new Date(NOW - 5000), new Date(NOW - 1000)],
    );
    await db.pool.query(`INSERT INTO event_outbox (type, at, data) VALUES ('task.created', $1, '{}')`, [
      new Date(NOW - 2500),
    ]);
    expect(await value('orchestrator_db_sequencer_lag_seconds', 'audit')).toBe(5);
    expect(await value('orchestrator_db_sequencer_backlog', 'audit')).toBe(2);
    expect(await value('orchestrator_db_sequencer_lag_seconds', 'events')).toBe(2.5);
    expect(await value('orchestrator_db_sequencer_backlog', 'events')).toBe(1);
  });

  it('keep the last values when the database is gone, and the scrape still answers', async () => {
    const own = new pg.Pool({ connectionString: db.url, options: '-c search_path=orchestrator' });
    registry = new Registry();
    registerSequencerLagMetrics(registry, own, () => NOW);
    await db.pool.query(`INSERT INTO event_outbox (type, at, data) VALUES ('task.created', $1, '{}')`, [
      new Date(NOW - 4000),
    ]);
    expect(await value('orchestrator_db_sequencer_lag_seconds', 'events')).toBe(4);
    await own.end();
    expect(await value('orchestrator_db_sequencer_lag_seconds', 'events')).toBe(4);
    await expect(registry.metrics()).resolves.toContain('orchestrator_db_sequencer_backlog{log="events"} 1');
  });
});
