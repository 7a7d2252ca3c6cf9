import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryAuditStore } from '../../audit/memory-audit.store.js';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { rejectionCodeOf } from '../../../test/support/domain-errors.js';
import { FileStateRepository } from '../file/file-state.repository.js';
import { MemoryStateRepository } from '../memory-state.repository.js';
import { created, FlakyAudit, taskMaker } from './testing/outbox-fixtures.js';
import { AuditOutboxRelay } from './audit-outbox-relay.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const ids = new SequentialIds('task');

const newTask = taskMaker(clock, ids);

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AuditOutboxRelay', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'outbox-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('a failure between the state write and the audit append leaves the entry stored, and a later pass writes it', async () => {
    const state = new MemoryStateRepository();
    const audit = new FlakyAudit({ clock });
    const relay = new AuditOutboxRelay(state, audit);
    const task = await state.createTask(newTask('a'), { audit: created });
    audit.failures = 1;
    expect(await rejectionCodeOf(relay.deliver())).toBe('audit_write_failed');
    expect((await audit.recent(10)).length).toBe(0);
    expect((await state.pendingAudit()).map((p) => p.entry.task_id)).toEqual([task.id]);
    await relay.deliver();
    await settle();
    const [entry] = await audit.recent(10);
    expect(entry).toMatchObject({ action: 'task.create', task_id: task.id });
    expect((entry!.details as Record<string, unknown>)['change_id']).toEqual(expect.any(String));
    expect(await state.pendingAudit()).toEqual([]);
    await relay.deliver();
    expect((await audit.recent(10)).length).toBe(1);
  });

  it('concurrent callers all find their entries in the log when deliver resolves, each once', async () => {
    const state = new MemoryStateRepository();
    const audit = new MemoryAuditStore({ clock });
    const relay = new AuditOutboxRelay(state, audit);
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await state.createTask(newTask(`t${i}`), { audit: created });
        await relay.deliver();
        const logged = await audit.query({ action: 'task.create', limit: 1000 });
        expect(logged.entries.some((e) => (e.details as { title: string }).title === `t${i}`)).toBe(true);
      }),
    );
    expect((await audit.query({ limit: 1000 })).entries).toHaveLength(50);
  });

  async function crashCopy(stateFile: string, name: string): Promise<string> {
    const copy = join(dir, name, 'state.json');
    await mkdir(join(dir, name));
    await copyFile(stateFile, copy);
    await copyFile(`${stateFile}.journal`, `${copy}.journal`);
    return copy;
  }

  it('after a crash before the append, start-up appends the entry marked recovered with the time it was stored', async () => {
    const stateFile = join(dir, 'live', 'state.json');
    const live = await FileStateRepository.open({ stateFile, clock, ids: new SequentialIds('c') });
    const task = await live.createTask(newTask('kept'), { audit: created });
    const storedAt = (await live.pendingAudit())[0]!.stored_at;
    const copy = await crashCopy(stateFile, 'crashed'); // SIGKILL here: stored, not audited
    await live.close();
    clock.advance(60_000);
    const reopened = await FileStateRepository.open({ stateFile: copy, clock });
    const audit = new MemoryAuditStore({ clock });
    expect(await new AuditOutboxRelay(reopened, audit).recover()).toBe(1);
    const [entry] = await audit.recent(10);
    expect(entry).toMatchObject({
      action: 'task.create',
      task_id: task.id,
      details: { title: 'kept', recovered: { stored_at: storedAt } },
    });
    await settle();
    expect(await reopened.pendingAudit()).toEqual([]);
    await reopened.close();
  });

  it('after a crash between the append and its acknowledgement, start-up does not append it again', async () => {
    const stateFile = join(dir, 'live', 'state.json');
    const live = await FileStateRepository.open({ stateFile, clock, ids: new SequentialIds('d') });
    await live.createTask(newTask('once'), { audit: created });
    const copy = await crashCopy(stateFile, 'crashed'); // outbox still holds the entry
    const audit = new MemoryAuditStore({ clock });
    await new AuditOutboxRelay(live, audit).deliver(); // appended; the copy never saw the ack
    await live.close();
    const reopened = await FileStateRepository.open({ stateFile: copy, clock });
    expect((await reopened.pendingAudit()).length).toBe(1);
    expect(await new AuditOutboxRelay(reopened, audit).recover()).toBe(0);
    await settle();
    expect((await audit.query({ limit: 100 })).entries).toHaveLength(1);
    expect(await reopened.pendingAudit()).toEqual([]);
    await reopened.close();
  });
});
