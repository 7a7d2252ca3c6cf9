import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../common/domain/clock.js';
import { clockFloor } from './event-sequence.js';
import {
  DEFAULT_BLOCK_SIZE,
  FileEventSequence,
  GROWTH_INTERVAL_MS,
  MAX_BLOCK_SIZE,
} from './file-event-sequence.js';

describe('FileEventSequence', () => {
  let dir: string;
  let file: string;
  let clock: ManualClock;
  let warnings: string[];
  const open = (blockSize = 5) =>
    new FileEventSequence({ file, clock, blockSize, onWarning: (m) => warnings.push(m) });
  const stored = () => (JSON.parse(readFileSync(file, 'utf8')) as { issued_through: number }).issued_through;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'event-sequence-'));
    file = join(dir, 'event-sequence.json');
    clock = new ManualClock();
    warnings = [];
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records a block before handing out any id of it', async () => {
    const sequence = open(5);
    await sequence.open(0);
    const start = clockFloor(clock.now());
    expect(stored()).toBe(start + 5);
    const ids = Array.from({ length: 6 }, () => sequence.next());
    expect(ids).toEqual([1, 2, 3, 4, 5, 6].map((i) => start + i));
    expect(stored()).toBe(start + 10);
    for (const id of ids) expect(stored()).toBeGreaterThanOrEqual(id);
  });

  it('writes the next block ahead, so a steady stream of ids never waits for a write', async () => {
    const sequence = open(10);
    await sequence.open(0);
    const start = clockFloor(clock.now());
    for (let i = 0; i < 6; i++) sequence.next(); // half the block used: the next one is written ahead
    await sequence.whenReservedAhead();
    expect(stored()).toBe(start + 20);
    for (let i = 0; i < 5; i++) sequence.next(); // into the second block, no synchronous write
    expect(stored()).toBe(start + 20);
  });

  it('a block written ahead never replaces a higher one written since', async () => {
    const sequence = open(10);
    await sequence.open(0);
    const start = clockFloor(clock.now());
    let last = 0;
    for (let i = 0; i < 36; i++) last = sequence.next(); // a burst: synchronous blocks overtake the one ahead
    await sequence.whenReservedAhead();
    expect(last).toBe(start + 36);
    expect(stored()).toBe(start + 40);
  });

  it('relies on the file, not the clock: a clock stepped back repeats no id', async () => {
    const first = open();
    await first.open(0);
    const before = Array.from({ length: 12 }, () => first.next());
    clock.advance(-3_600_000); // an hour back, and a crash (no close)

    const second = open();
    const previous = await second.open(0);
    expect(previous).toBe(stored() - 5); // the end of the block the crashed run held
    expect(previous).toBeGreaterThanOrEqual(before.at(-1)!);
    expect(second.next()).toBe(previous + 1);
  });

  it('after a clean stop names exactly the last id handed out', async () => {
    const first = open();
    await first.open(0);
    const before = Array.from({ length: 3 }, () => first.next());
    await first.close();
    expect(stored()).toBe(before.at(-1));
    clock.advance(-1000);

    const second = open();
    expect(await second.open(0)).toBe(before.at(-1));
    expect(second.next()).toBe(before.at(-1)! + 1);
  });

  it('starts above the clock and warns when the file is unreadable', async () => {
    writeFileSync(file, '{"format":"orchestrator-event-sequence","version":1,"issued_through":"x"}');
    clock.advance(60_000);
    const sequence = open();
    expect(await sequence.open(0)).toBe(clockFloor(clock.now()));
    expect(sequence.next()).toBe(clockFloor(clock.now()) + 1);
    expect(warnings.join()).toContain('unreadable');
  });

  it('refuses to start when the file cannot be written', async () => {
    const notADirectory = join(dir, 'plain-file');
    writeFileSync(notADirectory, '');
    file = join(notADirectory, 'event-sequence.json'); // ENOTDIR, also for root
    await expect(open().open(0)).rejects.toMatchObject({ code: 'state_write_failed' });
  });

  it('keeps handing out ids, with one warning, while a block cannot be written', async () => {
    const sequence = open(2);
    await sequence.open(0);
    const first = sequence.next();
    rmSync(dir, { recursive: true, force: true }); // the directory is gone: every write fails
    const ids = Array.from({ length: 6 }, () => sequence.next());
    expect(ids).toEqual([1, 2, 3, 4, 5, 6].map((i) => first + i));
    expect(warnings.filter((w) => w.includes('cannot write'))).toHaveLength(1);
  });

  it('grows the block while blocks are used up fast, up to the largest, so a busy server renames rarely', async () => {
    const sequence = new FileEventSequence({ file, clock, blockSize: 10, maxBlockSize: 40 });
    await sequence.open(0);
    const start = clockFloor(clock.now());
    const reservations: number[] = [];
    let id = 0;
    for (let i = 0; i < 200; i++) {
      id = sequence.next();
      await sequence.whenReservedAhead();
      if (reservations.at(-1) !== stored()) reservations.push(stored());
      expect(stored()).toBeGreaterThanOrEqual(id);
    }
    // The first block of 10, then 20, then 40 and no larger: ids used within the growth interval.
    expect(reservations[0]).toBe(start + 10);
    const steps = reservations.slice(1).map((through, i) => through - reservations[i]!);
    expect(steps.slice(0, 3)).toEqual([20, 40, 40]);
    expect(Math.max(...steps)).toBe(40);
    expect(id).toBe(start + 200);
  });

  it('keeps the block when reservations come slowly', async () => {
    const sequence = new FileEventSequence({ file, clock, blockSize: 10, maxBlockSize: 1000 });
    await sequence.open(0);
    const start = clockFloor(clock.now());
    for (let i = 0; i < 35; i++) {
      clock.advance(GROWTH_INTERVAL_MS); // every id far apart: no block is used up fast
      sequence.next();
      await sequence.whenReservedAhead();
    }
    expect(stored()).toBe(start + 40);
  });

  it('grows by default from DEFAULT_BLOCK_SIZE to MAX_BLOCK_SIZE, and not when only blockSize is given', async () => {
    const grows = new FileEventSequence({ file, clock });
    await grows.open(0);
    const start = clockFloor(clock.now());
    expect(stored()).toBe(start + DEFAULT_BLOCK_SIZE);
    for (let i = 0; i < 400_000; i++) {
      grows.next();
      if (i % 1000 === 0) await grows.whenReservedAhead();
    }
    await grows.whenReservedAhead();
    const through = stored();
    await grows.close();
    // Reserved ahead at half a block: at most one and a half of the largest block past the last id.
    expect(through - (start + 400_000)).toBeLessThanOrEqual(1.5 * MAX_BLOCK_SIZE);
    expect(through - (start + 400_000)).toBeGreaterThan(1.5 * DEFAULT_BLOCK_SIZE);

    const fixed = open(5);
    const previous = await fixed.open(0);
    for (let i = 0; i < 50; i++) fixed.next();
    await fixed.whenReservedAhead();
    expect(stored() - (previous + 50)).toBeLessThan(10); // grown, it would be 80 or more by now
  });
});
