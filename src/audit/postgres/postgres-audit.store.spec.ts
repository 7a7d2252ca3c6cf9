import { ManualClock } from '../../common/domain/clock.js';
import {
  createMigratedTestDatabase,
  type TestDatabase,
  openTestPool,
} from '../../database/testing/test-database.js';
import { type AuditEntryInput } from '../domain/audit-entry.js';
import { PostgresAuditStore } from './postgres-audit.store.js';
import type pg from 'pg';

function input(over: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return { actor: 'agent-001', role: 'agent', action: 'task.claim', decision: 'n/a', success: true, ...over };
}

let db: TestDatabase & { pool: pg.Pool };
const extraPools: pg.Pool[] = [];
beforeAll(async () => {
  db = await createMigratedTestDatabase();
});
afterAll(async () => {
  await Promise.all(extraPools.map((p) => p.end()));
  await db.drop();
});
beforeEach(() => db.pool.query('TRUNCATE audit_entries, chain_heads, audit_outbox'));

/** A second process: its own pool on the same database. */
function otherPool(): pg.Pool {
  const pool = openTestPool(db.url, { applicationName: 'orchestrator-test-2', size: 4 });
  extraPools.push(pool);
  return pool;
}

async function outbox(count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await db.pool.query(
      'INSERT INTO audit_outbox (change_id, stored_at, instance_id, entry) VALUES ($1, now(), $2, $3::json)',
      [`c${i}`, 'i1', JSON.stringify(input({ task_id: `t${i}`, details: i % 2 ? { to: 'TDD' } : null }))],
    );
  }
}

describe('PostgresAuditStore', () => {
  it('seals outbox rows in id order, once, stamped with their change id', async () => {
    const store = new PostgresAuditStore(db.pool);
    await store.append(input({ request_id: 'before' }));
    await outbox(5);
    await expect(store.sealStateOutbox()).resolves.toBe(5);
    await expect(store.sealStateOutbox()).resolves.toBe(0);
    const entries = [...(await store.recent(10))].reverse();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries.slice(1).map((e) => e.task_id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(entries[1]!.details).toEqual({ change_id: 'c0' });
    expect(entries[2]!.details).toEqual({ to: 'TDD', change_id: 'c1' });
    expect((await db.pool.query('SELECT 1 FROM audit_outbox')).rowCount).toBe(0);
    expect(await store.verify()).toMatchObject({ valid: true, entries: 6, last_seq: 6 });
    await store.close();
  });

  it('tells a survivor when an entry waits longer than it should (its writer died before sealing)', async () => {
    const store = new PostgresAuditStore(db.pool);
    await expect(store.hasStaleStateOutbox(2000)).resolves.toBe(false);
    await outbox(1); // stored just now: its writer is sealing it
    await expect(store.hasStaleStateOutbox(2000)).resolves.toBe(false);
    await db.pool.query("UPDATE audit_outbox SET stored_at = now() - interval '3 seconds'");
    await expect(store.hasStaleStateOutbox(2000)).resolves.toBe(true);
    await store.sealStateOutbox();
    await expect(store.hasStaleStateOutbox(2000)).resolves.toBe(false);
    await store.close();
  });

  it('seals a backlog larger than one batch, in id order', async () => {
    await db.pool.query(
      `INSERT INTO audit_outbox (change_id, stored_at, entry)
       SELECT 'c' || g, now(), json_build_object('actor', 'a', 'action', 'task.claim', 'decision', 'n/a',
              'success', true, 'request_id', 'r' || g)
         FROM generate_series(1, 4500) g`,
    );
    const store = new PostgresAuditStore(db.pool);
    await expect(store.sealStateOutbox()).resolves.toBe(4500);
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM audit_entries WHERE entry->>'request_id' <> 'r' || seq`,
    );
    expect(rows[0]!.n).toBe('0');
    expect(await store.verify()).toMatchObject({ valid: true, entries: 4500 });
    await store.close();
  });

  it('refuses a malformed outbox entry as invalid_audit_entry and keeps it in the outbox', async () => {
    await db.pool.query(
      `INSERT INTO audit_outbox (change_id, stored_at, entry) VALUES ('bad', now(), '{"actor":"a","action":"Bad Name"}')`,
    );
    const store = new PostgresAuditStore(db.pool);
    await expect(store.sealStateOutbox()).rejects.toMatchObject({ code: 'invalid_audit_entry' });
    expect((await db.pool.query('SELECT change_id FROM audit_outbox')).rows).toEqual([{ change_id: 'bad' }]);
    expect((await store.recent()).length).toBe(0);
    await store.close();
  });

  it('two stores on two pools sealing at once seal each row once', async () => {
    await outbox(300);
    const a = new PostgresAuditStore(db.pool);
    const b = new PostgresAuditStore(otherPool());
    const [na, nb] = await Promise.all([a.sealStateOutbox(), b.sealStateOutbox()]);
    expect(na + nb).toBe(300);
    const { rows } = await db.pool.query<{ n: string; ids: string }>(
      `SELECT count(*) AS n, count(DISTINCT entry->'details'->>'change_id') AS ids FROM audit_entries`,
    );
    expect(rows[0]).toEqual({ n: '300', ids: '300' });
    const order = await db.pool.query<{ id: string }>(
      `SELECT entry->'details'->>'change_id' AS id FROM audit_entries ORDER BY seq`,
    );
    expect(order.rows.map((r) => r.id)).toEqual(Array.from({ length: 300 }, (_, i) => `c${i}`));
    expect(await a.verify()).toMatchObject({ valid: true, entries: 300 });
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps one gap-free chain when two processes append and seal concurrently', async () => {
    const a = new PostgresAuditStore(db.pool);
    const b = new PostgresAuditStore(otherPool());
    await outbox(50);
    const written = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => a.append(input({ request_id: `a${i}` }))),
      ...Array.from({ length: 100 }, (_, i) => b.append(input({ request_id: `b${i}` }))),
      a.sealStateOutbox(),
    ]);
    const seqs = written.slice(0, 200).map((e) => (e as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(200);
    // Within one process, call order is chain order.
    const aSeqs = seqs.slice(0, 100);
    expect([...aSeqs].sort((x, y) => x - y)).toEqual(aSeqs);
    expect(await b.verify()).toMatchObject({ valid: true, entries: 250, last_seq: 250 });
    await Promise.all([a.close(), b.close()]);
  });

  it('groups concurrent appends into few transactions', async () => {
    const store = new PostgresAuditStore(db.pool);
    const entries = await Promise.all(Array.from({ length: 200 }, () => store.append(input())));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const { rows } = await db.pool.query<{ n: string }>(
      'SELECT count(DISTINCT xmin::text) AS n FROM audit_entries',
    );
    expect(Number(rows[0]!.n)).toBeLessThanOrEqual(3);
    await store.close();
  });

  it('verify reports an entry edited in SQL at its seq', async () => {
    const store = new PostgresAuditStore(db.pool, { clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    for (let i = 0; i < 5; i++) await store.append(input({ request_id: `r${i}` }));
    await db.pool.query(
      `UPDATE audit_entries SET entry = replace(entry::text, '"agent-001"', '"agent-999"')::json WHERE seq = 3`,
    );
    const report = await store.verify();
    expect(report.valid).toBe(false);
    expect(report.first_broken).toMatchObject({ seq: 3 });
    expect(report.entries).toBe(2);
    await store.close();
  });

  it('verify reports entries deleted from the end (the head remembers them)', async () => {
    const store = new PostgresAuditStore(db.pool);
    for (let i = 0; i < 4; i++) await store.append(input());
    await db.pool.query('DELETE FROM audit_entries WHERE seq >= 3');
    const report = await store.verify();
    expect(report.valid).toBe(false);
    expect(report.first_broken).toMatchObject({ seq: 3, reason: 'entries_missing_at_end' });
    await store.close();
  });

  it('rejects every append of a failed batch with audit_write_failed, and then recovers', async () => {
    const store = new PostgresAuditStore(db.pool);
    await store.append(input());
    // A row in the way of seq 2 makes the next batch's insert fail.
    await db.pool.query(
      `INSERT INTO audit_entries (seq, ts, actor, action, decision, success, entry, prev_hash, hash)
       VALUES (2, now(), 'x', 'x', 'x', true, '{}', 'x', 'x')`,
    );
    const results = await Promise.allSettled([store.append(input()), store.append(input())]);
    for (const r of results) {
      expect(r).toMatchObject({
        status: 'rejected',
        reason: { kind: 'unavailable', code: 'audit_write_failed' },
      });
    }
    await db.pool.query('DELETE FROM audit_entries WHERE seq = 2');
    expect((await store.append(input())).seq).toBe(2);
    expect(await store.verify()).toMatchObject({ valid: true, entries: 2 });
    await store.close();
  });

  it('rejects appends with audit_write_failed when the pool cannot give a connection', async () => {
    const pool = otherPool();
    const store = new PostgresAuditStore(pool);
    await pool.end();
    extraPools.splice(extraPools.indexOf(pool), 1);
    await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_write_failed' });
    expect(await store.health()).toMatchObject({ status: 'down', backend: 'postgres' });
  });

  it('close waits for pending appends, then refuses new ones; the pool stays open', async () => {
    const store = new PostgresAuditStore(db.pool);
    const pending = Array.from({ length: 20 }, () => store.append(input()));
    await store.close();
    expect((await Promise.all(pending)).length).toBe(20);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM audit_entries')).rows[0]).toEqual({ n: 20 });
    await expect(store.append(input())).rejects.toMatchObject({ code: 'audit_closed' });
    await expect(store.sealStateOutbox()).rejects.toMatchObject({ code: 'audit_closed' });
  });

  it('reports health with the head seq and the unsealed backlog', async () => {
    const store = new PostgresAuditStore(db.pool);
    await store.append(input());
    await outbox(3);
    expect(await store.health()).toMatchObject({
      status: 'up',
      backend: 'postgres',
      details: { last_seq: 1, unsealed: 3 },
    });
    await store.close();
  });

  it('queries by action prefix without treating LIKE characters as wildcards', async () => {
    const store = new PostgresAuditStore(db.pool);
    await store.append(input({ action: 'task_x.claim' }));
    await store.append(input({ action: 'taskyx.claim' }));
    expect((await store.query({ action: 'task_x.*' })).entries.map((e) => e.seq)).toEqual([1]);
    await store.close();
  });
});
