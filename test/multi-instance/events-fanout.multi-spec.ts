import { accessToken } from '../support/tokens.js';
import { runAgent, seededRandom, sleep, type Acknowledged, type ClaimSeen } from './support/agents.js';
import { startCluster, type Cluster, type Instance } from './support/cluster.js';
import { gapsIn, mergeEvents } from './support/correspondence.js';
import { allEvents, type StoredEvent } from './support/reads.js';
import { agentCapabilities, seedTasks } from './support/seed.js';
import { settle } from './support/settle.js';
import { openStream, type SseClient, type SseFrame } from './support/sse-client.js';

/**
 * Events made on one instance reach the clients of every other (LISTEN/NOTIFY, and a safety poll
 * of the events table each second): the budget here is that plus a loaded machine's slack.
 */
const FAN_OUT_MS = 5000;
const SEED = Number(process.env.MULTI_SEED ?? 18_123);

/** Ids of the stream's events, without `stream.resync` (which would say it could not resume). */
const idsOf = (frames: readonly SseFrame[]) => frames.map((f) => f.id);
const consecutive = (ids: readonly number[]) => ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);

/**
 * One event sequence for the whole database, seen from any instance: a client's stream carries
 * every event whichever instance made it, and a cursor from one instance resumes on another.
 */
describe('events across three instances', () => {
  let cluster: Cluster;
  let A: Instance, B: Instance, C: Instance;
  const operator = accessToken('operator', 'multi-events-op');
  const streams: SseClient[] = [];
  beforeAll(async () => {
    cluster = await startCluster();
    [A, B, C] = cluster.instances as [Instance, Instance, Instance];
  }, 60_000);
  afterAll(async () => {
    await Promise.all(streams.map((s) => s.close()));
    await cluster?.dispose();
  });

  const open = async (on: Instance, lastEventId?: number) => {
    const stream = await openStream(on.url, operator, lastEventId);
    streams.push(stream);
    return stream;
  };

  /** Every event any instance serves, merged (before fan-out each serves the ones it numbered). */
  const everyEvent = async (instances: readonly Instance[]): Promise<StoredEvent[]> => {
    const merged = mergeEvents(await Promise.all(instances.map((i) => allEvents(i.http, operator))));
    expect(merged.conflicts).toEqual([]);
    return merged.events;
  };

  /** A task created on `on`; returns its id. */
  const create = async (on: Instance, title: string) => {
    const res = await on.http.post<{ id: string }>('/api/v1/tasks', operator, { title });
    expect(res.status).toBe(201);
    return res.body.id;
  };

  it('a stream on A carries the events made on B and C, in order, without a gap', async () => {
    const stream = await open(A);
    const made: string[] = [];
    for (let i = 0; i < 24; i++) made.push(await create(i % 2 === 0 ? B : C, `fan-out ${i}`));
    const createdOn = (frames: readonly SseFrame[]) =>
      frames.filter((f) => f.event === 'task.created').map((f) => f.data.task_id as string);
    await stream.waitFor(
      (frames) => made.every((id) => createdOn(frames).includes(id)),
      FAN_OUT_MS,
      'task.created of every task made on B and C',
    );
    // In the order they were made (each creation was acknowledged before the next began).
    expect(createdOn(stream.frames).filter((id) => made.includes(id))).toEqual(made);
    const ids = idsOf(stream.frames);
    expect(consecutive(ids)).toBe(true);
    expect(stream.frames.some((f) => f.event === 'stream.resync')).toBe(false);
    await stream.close();
  });

  it('a client that reconnects to another instance with Last-Event-ID gets exactly the events it missed', async () => {
    const first = await open(A);
    const before = [await create(C, 'before 1'), await create(B, 'before 2'), await create(A, 'before 3')];
    await first.waitFor(
      (frames) => before.every((id) => frames.some((f) => f.data.task_id === id)),
      FAN_OUT_MS,
      'the three creations',
    );
    const lastSeen = first.frames.at(-1)!.id;
    await first.close();
    // Missed while disconnected: changes on all three instances.
    const missedTasks: string[] = [];
    for (const on of [A, B, C, C, B, A]) missedTasks.push(await create(on, `missed on ${on.name}`));
    const agent = accessToken('agent', 'fan-out-agent');
    const claim = await B.http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.status).toBe(200);
    const released = await C.http.post(
      `/api/v1/tasks/${claim.body.task.id}/release`,
      agent,
      {},
      {
        'x-phase-token': claim.body.phase_token,
      },
    );
    expect(released.status).toBe(200);
    const resumed = await open(B, lastSeen);
    // What was made after the cursor, as the instances' pages hold it together.
    const expected = (await everyEvent([A, B, C])).filter((e) => e.id > lastSeen);
    expect(expected.length).toBeGreaterThanOrEqual(missedTasks.length + 1);
    await resumed.waitFor(
      (frames) => frames.some((f) => f.id >= expected.at(-1)!.id),
      FAN_OUT_MS,
      `every event after ${lastSeen}`,
    );
    const replayed = resumed.frames.filter((f) => f.id <= expected.at(-1)!.id);
    expect(replayed.map((f) => [f.id, f.event])).toEqual(expected.map((e) => [e.id, e.type]));
    expect(replayed.map((f) => f.data)).toEqual(expected);
    await resumed.close();
  });

  it('every instance serves the whole sequence on GET /api/v1/events', async () => {
    const deadline = Date.now() + FAN_OUT_MS;
    let served: StoredEvent[][];
    do {
      served = await Promise.all([A, B, C].map((i) => allEvents(i.http, operator)));
      if (served.every((list) => list.length === served[0]!.length)) break;
      await sleep(200);
    } while (Date.now() < deadline);
    const union = mergeEvents(served).events;
    expect(gapsIn(union.map((e) => e.id))).toEqual([]);
    for (const [i, list] of served.entries())
      expect([[A, B, C][i]!.name, list]).toEqual([[A, B, C][i]!.name, union]);
  });

  it('streams on the survivors of a kill -9 see every event, without a gap', async () => {
    const random = seededRandom(SEED);
    await seedTasks([A, B, C], operator, 45, random, 4);
    const onB = await open(B);
    const onC = await open(C);
    const acknowledged: Acknowledged[] = [];
    const claims: ClaimSeen[] = [];
    const unexpected: string[] = [];
    let stop = false;
    const run = Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        runAgent(
          {
            id: `streamed-${i}`,
            capabilities: agentCapabilities(i, random),
            instances: [0, 1, 2].map((k) => [A, B, C][(i + k) % 3]!),
          },
          {
            random: seededRandom(SEED + i + 1),
            releaseRate: 0.1,
            failRate: 0,
            spareLastAttempt: true,
            stopped: () => stop,
            acknowledged,
            claims,
            unexpected,
          },
        ),
      ),
    );
    try {
      while (acknowledged.length < 60) await sleep(20);
      expect(await cluster.stop(A, 'SIGKILL')).toBeNull();
      await settle(C.http, operator, 90_000);
    } finally {
      stop = true;
      await run;
    }
    expect(unexpected).toEqual([]);
    const head = Math.max(...(await everyEvent([B, C])).map((e) => e.id));
    for (const [name, stream] of [
      ['B', onB],
      ['C', onC],
    ] as const) {
      await stream.waitFor(
        (frames) => frames.some((f) => f.id >= head),
        FAN_OUT_MS,
        `head ${head} on ${name}`,
      );
      const ids = idsOf(stream.frames);
      expect([name, gapsIn(ids), new Set(ids).size === ids.length]).toEqual([name, [], true]);
      expect(stream.frames.some((f) => f.event === 'stream.resync')).toBe(false);
    }
    // Both saw the same events from where the later one started.
    const start = Math.max(onB.frames[0]!.id, onC.frames[0]!.id);
    const from = (s: SseClient) => s.frames.filter((f) => f.id >= start && f.id <= head).map((f) => f.data);
    expect(from(onB)).toEqual(from(onC));
    console.log(
      `events: ${onB.frames.length} and ${onC.frames.length} events streamed on B and C across the kill of A, ` +
        `${acknowledged.length} acknowledged changes`,
    );
  }, 150_000);
});
