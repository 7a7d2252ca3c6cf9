import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { SequentialIds } from '../../common/domain/ids.js';
import { createTask } from '../../tasks/domain/task-factory.js';
import type { Task } from '../../tasks/domain/task.model.js';
import { parseSnapshot, writeSnapshot, type Snapshot } from './snapshot-file.js';
import { nodeStateFs } from './state-fs.js';
import { errorCodeOf } from '../../../test/support/domain-errors.js';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const ids = new SequentialIds('task');

function tasks(count: number): Task[] {
  return Array.from({ length: count }, (_, i) =>
    createTask(
      {
        title: `task ${i}, with "quotes",\nnewlines and ]} in it`,
        workflow: { name: 'agent_workflow', version: '1.0' },
        initialPhase: 'PLAN',
        maxAttempts: 3,
        createdBy: 'test',
      },
      { clock, ids },
    ),
  );
}

function snapshotOf(list: Task[]): Snapshot {
  return {
    state_id: 'state-1',
    snapshot_id: 'snap-1',
    previous_snapshot_id: null,
    last_seq: 7,
    written_at: '2026-01-01T00:00:00.000Z',
    maps: {
      tasks: new Map(list.map((t) => [t.id, t])),
      revocations: new Map([['jti-1', 123]]),
      idempotency: new Map(),
      outbox: new Map(),
    },
  };
}

describe('snapshot file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapshot-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function written(list: Task[]): Promise<Buffer> {
    const path = join(dir, 'state.json');
    await writeSnapshot(nodeStateFs, path, snapshotOf(list), false);
    return readFile(path);
  }

  it.each([0, 1, 1234])('reads back what it wrote, a line at a time, with %i tasks', async (count) => {
    const list = tasks(count);
    const parsed = parseSnapshot(await written(list), 'state.json');
    expect([...parsed.maps.tasks.values()]).toEqual(list);
    expect(parsed.maps.revocations).toEqual(new Map([['jti-1', 123]]));
    expect(parsed).toMatchObject({ snapshot_id: 'snap-1', last_seq: 7 });
  });

  it('refuses a snapshot laid out differently (re-indented by hand): it can no longer be verified', async () => {
    const pretty = JSON.stringify(JSON.parse((await written(tasks(3))).toString()), null, 2);
    expect(errorCodeOf(() => parseSnapshot(Buffer.from(pretty), 'state.json'))).toBe('state_damaged');
  });

  it('names the line of a one-byte change, and a removed line', async () => {
    const bytes = await written(tasks(3));
    const flipped = Buffer.from(bytes);
    const at = flipped.indexOf('"title"') + 2;
    flipped[at] = flipped[at]! ^ 0x01;
    expect(() => parseSnapshot(flipped, 'state.json')).toThrow(
      /state\.json line 2: the line fails its checksum/,
    );
    const lines = bytes.toString().split('\n');
    const removed = [...lines.slice(0, 2), ...lines.slice(3)].join('\n');
    expect(() => parseSnapshot(Buffer.from(removed), 'state.json')).toThrow(
      /lines before the trailer but checksums for 4/,
    );
  });

  it('refuses a snapshot with a damaged task line, a missing comma or a cut-off end', async () => {
    const lines = (await written(tasks(3))).toString().split('\n');
    const damaged = [...lines];
    damaged[2] = damaged[2]!.slice(0, 40);
    expect(errorCodeOf(() => parseSnapshot(Buffer.from(damaged.join('\n')), 'state.json'))).toBe(
      'state_damaged',
    );
    const noComma = [...lines];
    noComma[1] = noComma[1]!.slice(0, -1);
    expect(errorCodeOf(() => parseSnapshot(Buffer.from(noComma.join('\n')), 'state.json'))).toBe(
      'state_damaged',
    );
    expect(errorCodeOf(() => parseSnapshot(Buffer.from(lines.slice(0, 3).join('\n')), 'state.json'))).toBe(
      'state_damaged',
    );
  });
});
