import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../common/domain/clock.js';
import { AppConfig } from '../config/app-config.js';
import { OrchestratorConfig } from '../config/config.schema.js';
import { JsonlEventLog } from './log/jsonl-event-log.js';
import { NoEventLog } from './log/event-log.js';
import { EventBus } from './event-bus.js';
import { LocalEventPipeline } from './pipeline/local-event-pipeline.js';
import { FileEventSequence } from './sequence/file-event-sequence.js';

describe('EventBus across restarts', () => {
  let dir: string;
  let clock: ManualClock;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-bus-'));
    clock = new ManualClock();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** One run of the server's bus on `dir`, with or without persisted events. */
  async function run(persist: boolean, maxHistory = 100): Promise<EventBus> {
    const values = new OrchestratorConfig();
    values.event.enable_event_persistence = persist;
    values.event.event_persistence_file = join(dir, 'events.jsonl');
    values.event.max_history = maxHistory;
    const config = new AppConfig(values, {}, null, dir);
    const sequence = new FileEventSequence({ file: join(dir, 'event-sequence.json'), clock, blockSize: 10 });
    const log = persist ? new JsonlEventLog(join(dir, 'events.jsonl'), () => undefined) : new NoEventLog();
    const bus = new EventBus(config, clock, new LocalEventPipeline(sequence, log));
    await bus.onModuleInit();
    return bus;
  }

  async function stop(bus: EventBus): Promise<void> {
    await bus.beforeApplicationShutdown();
    await bus.onApplicationShutdown();
  }

  /** Publishes `n` events; returns their ids (numbered at once in this process). */
  const publish = (bus: EventBus, n: number) =>
    Array.from({ length: n }, (_, i) => {
      bus.publish('task.created', { task_id: `t${i}` });
      return bus.headId;
    });

  it('without persistence, a cursor from before a restart is expired unless it saw the last event', async () => {
    const first = await run(false);
    const ids = publish(first, 3);
    await stop(first);
    const second = await run(false);
    expect(second.resyncFor(ids[1])).toMatchObject({ reason: 'expired', oldest_id: null });
    expect(second.resyncFor(ids[2])).toBeNull();
    expect(() => second.page({ after: ids[1] })).toThrow(
      expect.objectContaining({ code: 'events_resync_required' }),
    );
    const later = publish(second, 1)[0];
    expect(later).toBeGreaterThan(ids[2]);
    expect(second.page({ after: ids[2] }).events.map((e) => e.id)).toEqual([later]);
  });

  it('with persistence and a clean stop, resumes into the kept events', async () => {
    const first = await run(true);
    const ids = publish(first, 3);
    await stop(first);
    const second = await run(true);
    expect(second.resyncFor(ids[0])).toBeNull();
    expect(second.page({ after: ids[0] }).events.map((e) => e.id)).toEqual(ids.slice(1));
    expect(second.resyncFor(ids[0] - 1)).toBeNull(); // before the first kept: nothing was dropped
  });

  it('with persistence and a crash, a cursor before the lost tail is expired', async () => {
    const first = await run(true);
    const ids = publish(first, 3);
    await first.onApplicationShutdown(); // lines written, then a crash: no clean stop
    const second = await run(true);
    expect(second.resyncFor(ids[2])).toMatchObject({ reason: 'expired', oldest_id: ids[0] });
  });

  it('a page that is not full ends at the head, so a filtered poll moves on', async () => {
    const bus = await run(false);
    const [created] = publish(bus, 1);
    bus.publish('tool.denied', {});
    const denied = bus.headId;
    const page = bus.page({ type: 'task.created', after: 0 });
    expect(page.events.map((e) => e.id)).toEqual([created]);
    expect(page.last_id).toBe(denied);
    expect(bus.page({ type: 'task.created', limit: 1 }).last_id).toBe(created);
  });
});
