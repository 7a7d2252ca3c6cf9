import pg from 'pg';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { withTransaction } from '../../database/database-pool.js';
import { createMigratedTestDatabase, type TestDatabase } from '../../database/testing/test-database.js';
import { PostgresStateRepository } from '../../state/postgres/postgres-state.repository.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import { type EventDraft, type OrchestratorEvent } from '../domain/event.model.js';
import { clockFloor } from '../sequence/event-sequence.js';
import { insertEventDrafts } from './event-rows.js';
import { PostgresEventPipeline, type PostgresEventPipelineOptions } from './postgres-event-pipeline.js';

const T0 = Date.UTC(2026, 0, 1);

const draft = (n: number, type: EventDraft['type'] = 'task.created'): EventDraft => ({
  type,
  at: new Date(T0 + n).toISOString(),
  task_id: `t${n}`,
  actor: 'op',
  data: { n },
});

describe('PostgresEventPipeline: events numbered by the database', () => {
  let db: TestDatabase & { pool: pg.Pool };
  let clock: ManualClock;
  const open: PostgresEventPipeline[] = [];

  beforeEach(async () => {
    db = await createMigratedTestDatabase();
    clock = new ManualClock(T0);
  });

  afterEach(async () => {
    for (const p of open.splice(0)) {
      await p.stop();
      await p.close();
    }
    await db.drop();
  });

  /** A pipeline (one process's) on the test database, and what it emitted. */
  async function start(
    keep = 100,
    pool = db.pool,
    warnings: string[] = [],
    extra: Partial<PostgresEventPipelineOptions> = {},
  ) {
    const pipeline = new PostgresEventPipeline({
      pool,
      clock,
      keep,
      warn: (m) => warnings.push(m),
      retryMs: 20,
      ...extra,
    });
    const emitted: OrchestratorEvent[] = [];
    const lost: number[] = [];
    pipeline.connect(
      (e) => emitted.push(e),
      (through) => lost.push(through),
    );
    open.push(pipeline);
    const opened = await pipeline.open(keep);
    return { pipeline, emitted, lost, opened, warnings };
  }

  const CHANNEL = 'orchestrator_events:orchestrator';

  /** A pipeline that follows the others: LISTEN on its own connection, polling every `pollMs`. */
  const following = (pollMs: number, connect = () => listenClient(), warnings: string[] = []) =>
    start(1000, db.pool, warnings, {
      channel: CHANNEL,
      follow: { connect, pollMs, reconnectMs: 50, info: () => undefined },
    });

  const listenClient = async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    return client;
  };

  const until = async (done: () => boolean, ms = 5000) => {
    for (const end = Date.now() + ms; !done() && Date.now() < end;)
      await new Promise((r) => setTimeout(r, 10));
    return done();
  };

  const storeDrafts = (drafts: EventDraft[]) =>
    withTransaction(db.pool, (client) => insertEventDrafts(client, drafts));

  const idsIn = async () =>
    (await db.pool.query<{ seq: string }>('SELECT seq FROM events ORDER BY seq')).rows.map((r) =>
      Number(r.seq),
    );

  const consecutive = (ids: number[]) => ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);

  it('a database that never numbered an event starts above the clock, with every earlier cursor lost', async () => {
    const { opened } = await start();
    expect(opened.head).toBe(clockFloor(T0));
    expect(opened.lostThrough).toBe(opened.head);
    expect(opened.events).toEqual([]);
  });

  it('numbers stored drafts in outbox order, then events of no change, gap-free after the head, once committed', async () => {
    const { pipeline, emitted, opened } = await start();
    await storeDrafts([draft(1), draft(2, 'task.claimed')]);
    pipeline.publish(draft(3, 'tool.authorized'));
    await pipeline.committed();
    expect(emitted.map((e) => [e.id, e.type, e.data])).toEqual([
      [opened.head + 1, 'task.created', { n: 1 }],
      [opened.head + 2, 'task.claimed', { n: 2 }],
      [opened.head + 3, 'tool.authorized', { n: 3 }],
    ]);
    expect(emitted[0]).toEqual({ id: opened.head + 1, ...draft(1) });
    expect(await idsIn()).toEqual(emitted.map((e) => e.id));
    expect((await db.pool.query('SELECT count(*)::int AS n FROM event_outbox')).rows[0].n).toBe(0);
  });

  it('a NUL in event data (jsonb cannot hold it) becomes U+FFFD instead of failing the batch', async () => {
    const { pipeline, emitted } = await start();
    await storeDrafts([{ ...draft(1), data: { reason: 'stored\u0000' } }]);
    pipeline.publish({ ...draft(2), data: { reason: 'local\u0000', nested: ['x\u0000'] } });
    pipeline.publish(draft(3));
    await pipeline.committed();
    expect(emitted.map((e) => e.task_id)).toEqual(['t1', 't2', 't3']);
    const stored = await db.pool.query<{ data: Record<string, unknown> }>(
      'SELECT data FROM events ORDER BY seq',
    );
    expect(stored.rows.map((r) => r.data)).toEqual([
      { reason: 'stored\uFFFD' },
      { reason: 'local\uFFFD', nested: ['x\uFFFD'] },
      { n: 3 },
    ]);
  });

  it('a change that rolled back leaves no event', async () => {
    const { pipeline, emitted } = await start();
    await expect(
      withTransaction(db.pool, async (client) => {
        await insertEventDrafts(client, [draft(1)]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await pipeline.committed();
    expect(emitted).toEqual([]);
    expect(await idsIn()).toEqual([]);
  });

  it('a change stored with its events by the state store emits them; a refused mutation emits none', async () => {
    const { pipeline, emitted } = await start();
    const repo = new PostgresStateRepository({ pool: db.pool });
    const task = createTask(
      {
        title: 't',
        workflow: { name: 'w', version: '1' },
        initialPhase: 'PLAN',
        maxAttempts: 1,
        createdBy: 'op',
      },
      { clock, ids: new SequentialIds('task') },
    );
    await repo.createTask(task, { events: (t) => [{ ...draft(1), task_id: t.id }] });
    await expect(
      repo.mutateTask(
        task.id,
        () => {
          throw new Error('refused');
        },
        { events: () => [draft(2, 'task.cancelled')] },
      ),
    ).rejects.toThrow('refused');
    await pipeline.committed();
    expect(emitted.map((e) => [e.type, e.task_id])).toEqual([['task.created', task.id]]);
  });

  it('drafts a crash left in the outbox are numbered when the next run opens; a restart resumes the sequence', async () => {
    const first = await start();
    await storeDrafts([draft(1)]);
    await first.pipeline.committed();
    await first.pipeline.stop();
    await storeDrafts([draft(2)]); // committed while no pipeline ran
    const second = await start();
    expect(second.opened.head).toBe(first.emitted[0]!.id);
    expect(second.opened.events).toEqual(first.emitted);
    expect(second.opened.lostThrough).toBe(first.emitted[0]!.id - 1);
    await second.pipeline.committed();
    expect(second.emitted.map((e) => [e.id, e.data])).toEqual([[first.emitted[0]!.id + 1, { n: 2 }]]);
  });

  it('two processes numbering at once share one gap-free sequence, each event once', async () => {
    const a = await start(1000);
    const b = await start(1000);
    const writes: Promise<void>[] = [];
    for (let n = 0; n < 200; n++) {
      const pipeline = n % 2 ? a.pipeline : b.pipeline;
      writes.push(storeDrafts([draft(n)]).then(() => pipeline.committed()));
      if (n % 3 === 0) pipeline.publish(draft(1000 + n, 'tool.authorized'));
    }
    await Promise.all(writes);
    await a.pipeline.committed();
    await b.pipeline.committed();
    const stored = await idsIn();
    expect(consecutive(stored)).toBe(true);
    expect(stored).toHaveLength(200 + 67);
    // Each process emits every event numbered before its last batch (its own and the other's),
    // in id order, gap-free, each once.
    for (const { emitted, opened } of [a, b]) {
      const ids = emitted.map((e) => e.id);
      expect(ids[0]).toBe(opened.head + 1);
      expect(consecutive(ids)).toBe(true);
      expect(stored.slice(0, ids.length)).toEqual(ids);
    }
    const last = a.emitted.length > b.emitted.length ? a : b;
    expect(new Set(last.emitted.map((e) => e.data.n)).size).toBe(last.emitted.length);
  });

  it("a following process that numbers nothing streams the others' events, in order, woken by NOTIFY", async () => {
    const writer = await start(1000, db.pool, [], { channel: CHANNEL });
    // A poll every minute: what arrives within the test came by NOTIFY.
    const reader = await following(60_000);
    await until(() => (open.at(-1) as unknown as { follower: { listening: boolean } }).follower.listening);
    for (let n = 0; n < 30; n++) {
      await storeDrafts([draft(n)]);
      if (n % 3 === 0) await writer.pipeline.committed();
    }
    await writer.pipeline.committed();
    expect(await until(() => reader.emitted.length === 30)).toBe(true);
    expect(reader.emitted).toEqual(writer.emitted);
    expect(reader.lost).toEqual([]);
  });

  it("without a LISTEN connection the safety poll still streams the others' events, and it says so", async () => {
    const writer = await start(1000, db.pool, [], { channel: CHANNEL });
    const warnings: string[] = [];
    const reader = await following(
      50,
      () => Promise.reject(new Error('connect ECONNREFUSED postgres://u:hunter2@db:1/x')),
      warnings,
    );
    for (let n = 0; n < 5; n++) await storeDrafts([draft(n)]);
    await writer.pipeline.committed();
    expect(await until(() => reader.emitted.length === 5)).toBe(true);
    expect(reader.emitted).toEqual(writer.emitted);
    expect(warnings.join('\n')).toMatch(/cannot listen for events of other instances \(polling every 50 ms/);
    expect(warnings.join('\n')).not.toContain('hunter2');
  });

  it('an idle following process numbers drafts an instance that died left in the outbox', async () => {
    const survivor = await following(50);
    // A change committed with its event by an instance killed before its numbering pass
    // (drafts are timed T0, long ago); nobody here changes anything.
    await storeDrafts([draft(1), draft(2)]);
    expect(await until(() => survivor.emitted.length === 2)).toBe(true);
    expect(survivor.emitted.map((e) => e.data.n)).toEqual([1, 2]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM event_outbox')).rows[0].n).toBe(0);
  });

  it('a process that was away longer than the table keeps events says which ones it cannot have', async () => {
    const reader = await start(1000); // follows nothing: it reads others' events only before its own
    const writer = await start(5);
    for (let n = 0; n < 12; n++) writer.pipeline.publish(draft(n));
    await writer.pipeline.committed();
    const stored = await idsIn();
    expect(stored[0]).toBeGreaterThan(writer.emitted[0]!.id); // pruned
    reader.pipeline.publish(draft(99));
    await reader.pipeline.committed();
    const mine = stored.at(-1)! + 1;
    expect(reader.lost).toEqual([stored[0]! - 1]);
    expect(reader.emitted.map((e) => e.id)).toEqual([...stored, mine]);
  });

  it('keeps the newest `keep` events in the table', async () => {
    const { pipeline, emitted } = await start(5);
    for (let n = 0; n < 12; n++) pipeline.publish(draft(n));
    await pipeline.committed();
    expect(emitted).toHaveLength(12);
    expect((await idsIn()).length).toBeLessThanOrEqual(10);
    expect((await idsIn()).at(-1)).toBe(emitted.at(-1)!.id);
  });

  it('a database that refuses: committed() still resolves, and numbering resumes by itself later', async () => {
    // The head row's lock held elsewhere: the pipeline's statements give up after 100 ms.
    const blocker = await db.pool.connect();
    const impatient = new pg.Pool({
      connectionString: db.url,
      options: '-c lock_timeout=100 -c search_path=orchestrator',
      max: 2,
    });
    try {
      const blocked = await start(100, impatient);
      await blocker.query('BEGIN');
      await blocker.query("SELECT 1 FROM event_id_blocks WHERE name = 'events' FOR UPDATE");
      blocked.pipeline.publish(draft(1, 'tool.denied'));
      await blocked.pipeline.committed();
      expect(blocked.emitted).toEqual([]);
      expect(blocked.warnings.join('\n')).toMatch(/cannot number events in the database, retrying/);
      await blocker.query('ROLLBACK');
      for (let i = 0; i < 100 && blocked.emitted.length === 0; i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(blocked.emitted.map((e) => e.type)).toEqual(['tool.denied']);
      await blocked.pipeline.stop();
      await blocked.pipeline.close();
      open.splice(open.indexOf(blocked.pipeline), 1);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await impatient.end();
    }
  });
});
