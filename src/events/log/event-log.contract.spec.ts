import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type OrchestratorEvent } from '../domain/event.model.js';
import { type EventLog } from './event-log.js';
import { JsonlEventLog } from './jsonl-event-log.js';

/** Each `open` is a new run of the process on the same storage. */
interface Harness {
  open(keep: number): EventLog;
  cleanup(): Promise<void>;
}

const adapters: [string, () => Promise<Harness>][] = [
  [
    'jsonl',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'event-log-'));
      return {
        open: () => new JsonlEventLog(join(dir, 'events.jsonl'), () => undefined),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
];

const event = (id: number): OrchestratorEvent => ({
  id,
  type: 'task.created',
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, id % 60)).toISOString(),
  task_id: `t${id}`,
  actor: 'op',
  data: { title: `task ${id}`, nested: { n: id } },
});

describe.each(adapters)('EventLog contract: %s', (_name, makeHarness) => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await makeHarness();
  });
  afterEach(() => harness.cleanup());

  it('loads nothing, and nothing lost, when no run wrote before', async () => {
    expect(await harness.open(10).load(10)).toEqual({ events: [], lostThrough: 0 });
  });

  it('a later run loads every flushed event as published, in order; cursors before the first are lost', async () => {
    const log = harness.open(100);
    await log.load(100);
    const published = [5, 6, 9, 20].map(event);
    for (const e of published) log.append(e);
    await log.close();
    const loaded = await harness.open(100).load(100);
    expect(loaded.events).toEqual(published);
    expect(loaded.lostThrough).toBe(4);
  });

  it('keeps the newest events when asked for fewer than were written', async () => {
    const log = harness.open(3);
    await log.load(3);
    for (let id = 1; id <= 12; id++) log.append(event(id));
    await log.close();
    const loaded = await harness.open(3).load(3);
    expect(loaded.events.map((e) => e.id)).toEqual([10, 11, 12]);
    expect(loaded.lostThrough).toBe(9);
  });
});
