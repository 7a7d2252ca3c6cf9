import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { type EventSequence } from './event-sequence.js';
import { FileEventSequence } from './file-event-sequence.js';
import { MemoryEventSequence } from './memory-event-sequence.js';

/** Makes the sequence of one run; each call is a restart of the same process's store. */
interface Harness {
  run(clock: ManualClock): EventSequence;
  cleanup(): Promise<void>;
}

const adapters: [string, () => Promise<Harness>][] = [
  [
    'memory',
    () =>
      Promise.resolve({ run: (clock) => new MemoryEventSequence(clock), cleanup: () => Promise.resolve() }),
  ],
  [
    'file',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'event-sequence-contract-'));
      // A small block, so runs cross block boundaries.
      const file = join(dir, 'event-sequence.json');
      return {
        run: (clock) => new FileEventSequence({ file, clock, blockSize: 3 }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  ],
];

describe.each(adapters)('EventSequence contract: %s adapter', (_name, makeHarness) => {
  let harness: Harness;
  let clock: ManualClock;

  beforeEach(async () => {
    harness = await makeHarness();
    clock = new ManualClock();
  });

  afterEach(() => harness.cleanup());

  const take = (sequence: EventSequence, n: number) => Array.from({ length: n }, () => sequence.next());
  const increasing = (ids: number[]) => ids.every((id, i) => i === 0 || id > ids[i - 1]);

  it('hands out strictly increasing safe integers above what it is opened with', async () => {
    const sequence = harness.run(clock);
    await sequence.open(0);
    const ids = take(sequence, 10);
    expect(increasing(ids)).toBe(true);
    expect(ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);

    const next = harness.run(clock);
    const above = ids.at(-1)! + 1_000_000;
    await next.open(above);
    expect(next.next()).toBeGreaterThan(above);
  });

  it('after a clean stop, the next run starts above every id handed out and says where they end', async () => {
    const first = harness.run(clock);
    await first.open(0);
    const before = take(first, 7);
    await first.close();
    clock.advance(1);

    const second = harness.run(clock);
    const previous = await second.open(0);
    expect(previous).toBeGreaterThanOrEqual(before.at(-1)!);
    const after = take(second, 7);
    expect(after[0]).toBeGreaterThan(Math.max(previous, before.at(-1)!));
    expect(increasing(after)).toBe(true);
  });

  it('after a crash (no close), the next run repeats no id', async () => {
    const first = harness.run(clock);
    await first.open(0);
    const before = take(first, 8); // past two blocks of the file adapter
    clock.advance(1);

    const second = harness.run(clock);
    const previous = await second.open(0);
    expect(previous).toBeGreaterThanOrEqual(before.at(-1)!);
    const after = take(second, 5);
    expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
  });

  it('keeps increasing when published to after close (events of a draining server)', async () => {
    const sequence = harness.run(clock);
    await sequence.open(0);
    const before = take(sequence, 2);
    await sequence.close();
    const late = take(sequence, 2);
    expect(increasing([...before, ...late])).toBe(true);
    clock.advance(1);

    const next = harness.run(clock);
    const previous = await next.open(0);
    expect(previous).toBeGreaterThanOrEqual(late.at(-1)!);
    expect(next.next()).toBeGreaterThan(late.at(-1)!);
  });
});
