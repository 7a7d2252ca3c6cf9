import type pg from 'pg';
import { MemoryAuditStore } from '../../audit/memory-audit.store.js';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { rejectionCodeOf } from '../../../test/support/domain-errors.js';
import { created, FlakyAudit, taskMaker } from '../outbox/testing/outbox-fixtures.js';
import { AuditOutboxRelay } from '../outbox/audit-outbox-relay.js';
import { PostgresAuditStore } from '../../audit/postgres/postgres-audit.store.js';
import { PostgresStateRepository } from './postgres-state.repository.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const ids = new SequentialIds('task');

const newTask = taskMaker(clock, ids);

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AuditOutboxRelay over the postgres state store', () => {
  let db: TestDatabase & { pool: pg.Pool };
  let state: PostgresStateRepository;

  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    state = new PostgresStateRepository({ pool: db.pool, now: () => clock.now(), instanceId: 'i1' });
  });

  afterEach(async () => {
    await state.close();
    await db.drop();
  });

  it('a failed append leaves the committed entry in the outbox, and a later pass writes it once', async () => {
    const audit = new FlakyAudit({ clock });
    const relay = new AuditOutboxRelay(state, audit);
    const task = await state.createTask(newTask('a'), { audit: created });
    audit.failures = 1;
    expect(await rejectionCodeOf(relay.deliver())).toBe('audit_write_failed');
    expect((await state.pendingAudit()).map((p) => p.entry.task_id)).toEqual([task.id]);
    await relay.deliver();
    await settle();
    const [entry] = await audit.recent(10);
    expect(entry).toMatchObject({ action: 'task.create', task_id: task.id });
    expect(await state.pendingAudit()).toEqual([]);
    await relay.deliver();
    expect((await audit.recent(10)).length).toBe(1);
  });

  it('a survivor seals what an instance that died stored and never sealed; with nothing left over it does nothing', async () => {
    const audit = new PostgresAuditStore(db.pool);
    const survivor = new AuditOutboxRelay(state, audit);
    expect(await survivor.adoptLeftovers(2000)).toBe(false);
    // Stored by the dead instance (the manual clock is far in the past: long overdue).
    const task = await state.createTask(newTask('orphan'), { audit: created });
    expect(await survivor.adoptLeftovers(2000)).toBe(true);
    expect(await state.pendingAudit()).toEqual([]);
    expect((await audit.recent(1))[0]).toMatchObject({ action: 'task.create', task_id: task.id });
    expect(await survivor.adoptLeftovers(2000)).toBe(false);
    // A store that does not seal the outbox itself (file, memory) never adopts.
    expect(await new AuditOutboxRelay(state, new MemoryAuditStore({ clock })).adoptLeftovers(0)).toBe(false);
    await audit.close();
  });

  it('rows carry the change id, the store time as ISO text and the instance', async () => {
    await state.createTask(newTask('b'), { audit: created });
    const [pending] = await state.pendingAudit();
    expect(pending!.stored_at).toBe(new Date(clock.now()).toISOString());
    const row = await db.pool.query('SELECT change_id, instance_id FROM audit_outbox');
    expect(row.rows).toEqual([{ change_id: pending!.change_id, instance_id: 'i1' }]);
  });

  it('an entry stored before a restart is recovered by a new instance on the same database', async () => {
    const task = await state.createTask(newTask('kept'), { audit: created });
    const storedAt = (await state.pendingAudit())[0]!.stored_at;
    await state.close(); // "crash": stored, not audited
    clock.advance(60_000);
    const restarted = new PostgresStateRepository({ pool: db.pool });
    const audit = new MemoryAuditStore({ clock });
    expect(await new AuditOutboxRelay(restarted, audit).recover()).toBe(1);
    const [entry] = await audit.recent(10);
    expect(entry).toMatchObject({
      action: 'task.create',
      task_id: task.id,
      details: { title: 'kept', recovered: { stored_at: storedAt } },
    });
    await settle();
    expect(await restarted.pendingAudit()).toEqual([]);
    await restarted.close();
  });

  it('concurrent callers all find their entries in the log when deliver resolves, each once', async () => {
    const audit = new MemoryAuditStore({ clock });
    const relay = new AuditOutboxRelay(state, audit);
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        await state.createTask(newTask(`t${i}`), { audit: created });
        await relay.deliver();
        const logged = await audit.query({ action: 'task.create', limit: 1000 });
        expect(logged.entries.some((e) => (e.details as { title: string }).title === `t${i}`)).toBe(true);
      }),
    );
    await settle();
    expect((await audit.query({ limit: 1000 })).entries).toHaveLength(30);
  });
});
