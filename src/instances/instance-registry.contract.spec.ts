import { systemClock } from '../common/domain/clock.js';
import { createMigratedTestDatabase } from '../database/testing/test-database.js';
import { insertEventDrafts, numberEvents } from '../events/pipeline/event-rows.js';
import { withTransaction } from '../database/database-pool.js';
import { type InstanceRegistry, type Peer } from './instance-registry.js';
import { LocalInstanceRegistry } from './local-instance-registry.js';
import { PostgresInstanceRegistry } from './postgres-instance-registry.js';

let database: Awaited<ReturnType<typeof createMigratedTestDatabase>> | null = null;
afterAll(() => database?.drop());

const adapters: { name: string; open(): Promise<InstanceRegistry> }[] = [
  { name: 'local', open: async () => new LocalInstanceRegistry(systemClock) },
  {
    name: 'postgres',
    open: async () => {
      database ??= await createMigratedTestDatabase();
      await database.pool.query('TRUNCATE instances');
      return new PostgresInstanceRegistry(database.pool);
    },
  },
];

const peer = (id: string, startedAt: string): Omit<Peer, 'seen_at'> => ({
  id,
  host: 'host-a',
  pid: 4242,
  version: '1.2.3',
  started_at: startedAt,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(adapters)('InstanceRegistry contract: $name', (adapter) => {
  let registry: InstanceRegistry;
  beforeEach(async () => {
    registry = await adapter.open();
  });

  it('an instance is live from its first heartbeat, with what it registered', async () => {
    expect(await registry.live(60_000)).toEqual([]);
    await registry.heartbeat(peer('a', '2026-01-01T00:00:00.000Z'));
    const [a, ...rest] = await registry.live(60_000);
    expect(rest).toEqual([]);
    expect(a).toMatchObject(peer('a', '2026-01-01T00:00:00.000Z'));
    expect(Math.abs(Date.parse(a!.seen_at) - Date.now())).toBeLessThan(5000);
  });

  it('lists instances oldest start first; a second heartbeat refreshes, never duplicates', async () => {
    await registry.heartbeat(peer('young', '2026-01-02T00:00:00.000Z'));
    await registry.heartbeat(peer('old', '2026-01-01T00:00:00.000Z'));
    const before = (await registry.live(60_000)).find((p) => p.id === 'young')!;
    await sleep(20);
    await registry.heartbeat(peer('young', '2026-01-02T00:00:00.000Z'));
    const live = await registry.live(60_000);
    expect(live.map((p) => p.id)).toEqual(['old', 'young']);
    expect(Date.parse(live[1]!.seen_at)).toBeGreaterThan(Date.parse(before.seen_at));
  });

  it('an instance silent for longer than the window is not live; one that left is gone at once', async () => {
    await registry.heartbeat(peer('quiet', '2026-01-01T00:00:00.000Z'));
    await registry.heartbeat(peer('leaving', '2026-01-01T00:00:01.000Z'));
    await sleep(300);
    await registry.heartbeat(peer('leaving', '2026-01-01T00:00:01.000Z'));
    expect((await registry.live(200)).map((p) => p.id)).toEqual(['leaving']);
    await registry.leave('leaving');
    expect(await registry.live(60_000)).toEqual([expect.objectContaining({ id: 'quiet' })]);
  });
});

describe('PostgresInstanceRegistry: who ordered last', () => {
  it('names the instance that numbered the newest events and the one that sealed the newest audit entry', async () => {
    database ??= await createMigratedTestDatabase();
    const registry = new PostgresInstanceRegistry(database.pool);
    await database.pool.query('TRUNCATE audit_entries, event_outbox, events');
    await database.pool.query("DELETE FROM event_id_blocks WHERE name = 'events'");
    expect(await registry.ordering()).toEqual({ events: null, audit: null });

    await database.pool.query("INSERT INTO event_id_blocks (name, issued_through) VALUES ('events', 0)");
    const draft = { type: 'task.created' as const, at: new Date().toISOString(), data: {} };
    await withTransaction(database.pool, (client) => insertEventDrafts(client, [draft]));
    for (const by of ['instance-a', 'instance-b']) {
      await withTransaction(database.pool, (client) => numberEvents(client, [draft], { instanceId: by }), {
        begin: 'inline',
      });
    }
    await database.pool.query(
      `INSERT INTO audit_entries (seq, ts, actor, action, decision, success, instance_id, entry, prev_hash, hash)
       VALUES (1, '2026-01-01T00:00:00Z', 'op', 'task.create', 'n/a', true, 'instance-c', '{}', 'x', 'y')`,
    );
    const ordering = await registry.ordering();
    expect(ordering.events).toMatchObject({ instance_id: 'instance-b' });
    expect(Math.abs(Date.parse(ordering.events!.at) - Date.now())).toBeLessThan(5000);
    expect(ordering.audit).toEqual({ instance_id: 'instance-c', at: '2026-01-01T00:00:00.000Z' });
  });
});
