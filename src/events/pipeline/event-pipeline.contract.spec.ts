import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { withTransaction } from '../../database/database-pool.js';
import { createMigratedTestDatabase } from '../../database/testing/test-database.js';
import { type EventDraft, type OrchestratorEvent } from '../domain/event.model.js';
import { JsonlEventLog } from '../log/jsonl-event-log.js';
import { FileEventSequence } from '../sequence/file-event-sequence.js';
import { type EventPipeline } from './event-pipeline.js';
import { insertEventDrafts } from './event-rows.js';
import { LocalEventPipeline } from './local-event-pipeline.js';
import { PostgresEventPipeline } from './postgres-event-pipeline.js';

/** One process's pipeline per `run`, on storage that outlives it; `store` is what a state store does with a change's drafts. */
interface Harness {
  run(clock: ManualClock, keep: number): EventPipeline;
  store(drafts: readonly EventDraft[]): Promise<void>;
  cleanup(): Promise<void>;
}

const adapters: [string, () => Promise<Harness>][] = [
  [
    'local (file sequence, JSONL log)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'event-pipeline-'));
      return {
        run: (clock) =>
          new LocalEventPipeline(
            new FileEventSequence({ file: join(dir, 'event-sequence.json'), clock, blockSize: 3 }),
            new JsonlEventLog(join(dir, 'events.jsonl'), () => undefined),
          ),
        // The file and memory stores leave a change's events to the caller.
        store: () => Promise.resolve(),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'postgres',
    async () => {
      const db = await createMigratedTestDatabase();
      return {
        run: (clock, keep) =>
          new PostgresEventPipeline({ pool: db.pool, clock, keep, warn: () => undefined }),
        store: (drafts) => withTransaction(db.pool, (client) => insertEventDrafts(client, drafts)),
        cleanup: () => db.drop(),
      };
    },
  ],
];

const draft = (n: number): EventDraft => ({
  type: n % 2 ? 'task.created' : 'tool.authorized',
  at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  task_id: `t${n}`,
  actor: 'op',
  data: { n, nested: { title: `task ${n}` } },
});

describe.each(adapters)('EventPipeline contract: %s', (_name, makeHarness) => {
  let harness: Harness;
  let clock: ManualClock;

  beforeEach(async () => {
    harness = await makeHarness();
    clock = new ManualClock();
  });
  afterEach(() => harness.cleanup());

  async function open(keep = 100) {
    const pipeline = harness.run(clock, keep);
    const emitted: OrchestratorEvent[] = [];
    pipeline.connect((e) => emitted.push(e));
    const opened = await pipeline.open(keep);
    return { pipeline, emitted, opened };
  }

  async function stop(pipeline: EventPipeline): Promise<void> {
    await pipeline.stop();
    await pipeline.close();
  }

  /** A change with its events, as the services do it: stored, then handed over as committed. */
  async function change(pipeline: EventPipeline, drafts: EventDraft[]): Promise<void> {
    await harness.store(drafts);
    await pipeline.committed(drafts);
  }

  it('emits each event once, in order, with ids above the head; a change is emitted by the time committed resolves', async () => {
    const { pipeline, emitted, opened } = await open();
    await change(pipeline, [draft(1), draft(2)]);
    expect(emitted.map((e) => e.data.n)).toEqual([1, 2]);
    pipeline.publish(draft(3));
    // An event of no change is numbered by the next pass; a change committed while that pass is on
    // its way may come first (both are "now"), so this one waits for it before the next change.
    await pipeline.committed([]);
    await change(pipeline, [draft(4)]);
    expect(emitted.map((e) => e.data.n)).toEqual([1, 2, 3, 4]);
    expect(emitted[0]).toEqual({ id: emitted[0]!.id, ...draft(1) });
    const ids = emitted.map((e) => e.id);
    expect(ids[0]).toBeGreaterThan(opened.head);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    await stop(pipeline);
  });

  it('a later run opens with what was kept and issues only greater ids', async () => {
    const first = await open();
    await change(first.pipeline, [draft(1), draft(2), draft(3)]);
    first.pipeline.publish(draft(4));
    await stop(first.pipeline);
    clock.advance(1);
    const second = await open();
    expect(second.opened.events).toEqual(first.emitted);
    expect(second.opened.head).toBeGreaterThanOrEqual(first.emitted.at(-1)!.id);
    expect(second.opened.lostThrough).toBe(first.emitted[0]!.id - 1);
    await change(second.pipeline, [draft(5)]);
    expect(second.emitted[0]!.id).toBeGreaterThan(second.opened.head);
    await stop(second.pipeline);
  });

  it('keeps the newest events when the next run asks for fewer', async () => {
    const first = await open(100);
    for (let n = 1; n <= 8; n++) await change(first.pipeline, [draft(n)]);
    await stop(first.pipeline);
    const second = await open(3);
    expect(second.opened.events.map((e) => e.data.n)).toEqual([6, 7, 8]);
    expect(second.opened.lostThrough).toBe(second.opened.events[0]!.id - 1);
    await stop(second.pipeline);
  });
});
