import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Clock } from '../../common/domain/clock.js';
import { stateWriteFailed } from '../../state/state-errors.js';
import { clockFloor, EventSequence } from './event-sequence.js';

export const SEQUENCE_FORMAT = 'orchestrator-event-sequence';
export const SEQUENCE_VERSION = 1;
/** Ids reserved by one durable write at first: a crash skips at most a block, never repeats one. */
export const DEFAULT_BLOCK_SIZE = 1000;
/**
 * The largest block the default grows to. Each reservation renames a file on the main thread
 * (up to a few ms while the disk is busy with audit fdatasyncs), so under a steady stream of
 * events the block doubles while reservations come less than `GROWTH_INTERVAL_MS` apart: at
 * 8,000 events/s a 1,000-id block meant 8 renames a second. 100,000 ids are 100 ms of the clock
 * floor (`IDS_PER_MS`), so the ids a crash skips stay far below what the clock adds.
 */
export const MAX_BLOCK_SIZE = 100_000;
export const GROWTH_INTERVAL_MS = 2000;

/** What the file holds: no id greater than `issued_through` was ever handed out. */
interface SequenceRecord {
  readonly format: typeof SEQUENCE_FORMAT;
  readonly version: typeof SEQUENCE_VERSION;
  readonly issued_through: number;
}

export interface FileEventSequenceOptions {
  /** `<state directory>/event-sequence.json`. */
  readonly file: string;
  readonly clock: Clock;
  /** The first block (default `DEFAULT_BLOCK_SIZE`). */
  readonly blockSize?: number;
  /** The largest block: `MAX_BLOCK_SIZE` by default, `blockSize` when only that is given. */
  readonly maxBlockSize?: number;
  /** Told when the file is unreadable or cannot be written (the run goes on, see below). */
  readonly onWarning?: (message: string) => void;
}

/**
 * Ids that never repeat across restarts (`state.backend: file`). Before it hands out an id, the
 * end of a block of ids is written to the file (temp file, fsync, rename, fsync of the
 * directory), so after a crash the next run starts past the whole block: ids are skipped, never
 * repeated. A clean `close()` writes the last id actually handed out, so the next run knows
 * nothing after it is missing. Runs also start above the clock (`clockFloor`), which covers a
 * lost or unreadable file.
 *
 * `next()` has to answer at once (publishing an event is synchronous), so the next block is
 * written ahead, asynchronously, once half of the current one is used; only a burst that uses up
 * a block before that write lands waits for a synchronous one (about 10 ms here). Renames happen
 * on the main thread, so a block written ahead never replaces a higher one written since. Blocks
 * grow (`MAX_BLOCK_SIZE`) while they are used up fast, so a busy server renames rarely.
 *
 * The file lives in the state directory, which the state store's lock gives to one process.
 */
export class FileEventSequence extends EventSequence {
  /** The current block; grows up to `maxBlockSize` while reservations come fast. */
  private blockSize: number;
  private readonly maxBlockSize: number;
  /** When the last block was reserved (clock ms), to tell how fast ids are used. */
  private reservedAt: number;
  private readonly warn: (message: string) => void;
  /** The last id handed out (or where the run starts, before the first). */
  private last: number;
  /** Ids up to this one are recorded in the file. */
  private reservedThrough = 0;
  /** The highest `issued_through` renamed into place by this run. */
  private written = 0;
  private failing = false;
  private opened = false;
  private closed = false;
  private ahead: Promise<void> | null = null;

  constructor(private readonly options: FileEventSequenceOptions) {
    super();
    this.blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    this.maxBlockSize = Math.max(
      this.blockSize,
      options.maxBlockSize ?? (options.blockSize === undefined ? MAX_BLOCK_SIZE : this.blockSize),
    );
    this.reservedAt = options.clock.now();
    this.warn = options.onWarning ?? (() => undefined);
    this.last = clockFloor(options.clock.now());
  }

  get file(): string {
    return this.options.file;
  }

  /** Refuses (`state_write_failed`, which stops start-up) when the file cannot be read or written. */
  open(above: number): Promise<number> {
    try {
      const stored = this.readStored();
      const previous = Math.max(stored ?? clockFloor(this.options.clock.now()), above);
      this.last = Math.max(previous, clockFloor(this.options.clock.now()));
      const through = this.last + this.blockSize;
      this.write(through);
      this.reservedThrough = through;
      this.opened = true;
      return Promise.resolve(previous);
    } catch (error) {
      return Promise.reject(stateWriteFailed(`the event sequence file ${this.file}`, error));
    }
  }

  next(): number {
    if (this.last >= this.reservedThrough) this.reserve();
    else if (this.reservedThrough - this.last <= this.blockSize / 2) this.reserveAhead();
    this.last += 1;
    return this.last;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.ahead;
    // Never opened: the file may hold more than this run knows of; leave it as it is.
    if (!this.opened || !this.tryWrite(this.last)) return;
    // A later next() (an event published while the server drains) reserves a block again.
    this.reservedThrough = this.last;
  }

  /** Resolves once a block being written ahead is in place, or given up. */
  async whenReservedAhead(): Promise<void> {
    await this.ahead;
  }

  /** Records the next block before any id of it is handed out. */
  private reserve(): void {
    this.growIfFast();
    const through = this.last + this.blockSize;
    // Even when the write failed: go on rather than fail the change that publishes (the clock
    // still keeps the next run above these ids); try again at the next block.
    this.tryWrite(through);
    this.reservedThrough = through;
  }

  /** Writes the block after the current one in the background; it counts once durable. */
  private reserveAhead(): void {
    if (this.ahead || this.closed || this.failing) return;
    this.growIfFast();
    const through = this.reservedThrough + this.blockSize;
    const temp = `${this.file}.ahead-${process.pid}`;
    this.ahead = (async () => {
      try {
        await writeTempDurably(temp, recordText(through));
        if (this.written >= through) {
          await unlink(temp).catch(() => undefined); // a synchronous reservation went further meanwhile
          return;
        }
        renameSync(temp, this.file); // synchronously: in order with the synchronous writes
        this.written = through;
        await syncDirectory(dirname(this.file));
        this.reservedThrough = Math.max(this.reservedThrough, through);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        this.warnFailure(error);
      } finally {
        this.ahead = null;
      }
    })();
  }

  /** Doubles the block (up to the largest) when the last one was reserved less than the interval ago. */
  private growIfFast(): void {
    const now = this.options.clock.now();
    if (now - this.reservedAt < GROWTH_INTERVAL_MS) {
      this.blockSize = Math.min(this.blockSize * 2, this.maxBlockSize);
    }
    this.reservedAt = now;
  }

  private tryWrite(through: number): boolean {
    try {
      this.write(through);
    } catch (error) {
      this.warnFailure(error);
      return false;
    }
    if (this.failing) this.warn(`the event sequence file ${this.file} is written again`);
    this.failing = false;
    return true;
  }

  private warnFailure(error: unknown): void {
    if (!this.failing) {
      this.warn(
        `cannot write the event sequence file ${this.file}: ${(error as Error).message}; ` +
          'event ids go on, kept above the clock only, until it can be written again',
      );
    }
    this.failing = true;
  }

  private write(through: number): void {
    writeFileDurablySync(this.file, recordText(through));
    this.written = Math.max(this.written, through);
  }

  /** `issued_through` from the file; null (with a warning when damaged) if there is none to trust. */
  private readStored(): number | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const through = parseRecord(text);
    if (through === null) {
      this.warn(
        `event sequence file ${this.file} is unreadable; event ids start above the clock instead ` +
          '(clients resuming from before get a stream.resync)',
      );
    }
    return through;
  }
}

function recordText(through: number): string {
  const record: SequenceRecord = {
    format: SEQUENCE_FORMAT,
    version: SEQUENCE_VERSION,
    issued_through: through,
  };
  return `${JSON.stringify(record)}\n`;
}

async function writeTempDurably(temp: string, text: string): Promise<void> {
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string): number | null {
  try {
    const record = JSON.parse(text) as Partial<SequenceRecord> | null;
    if (record?.format !== SEQUENCE_FORMAT || record.version !== SEQUENCE_VERSION) return null;
    const through = record.issued_through;
    return Number.isSafeInteger(through) && (through as number) >= 0 ? (through as number) : null;
  } catch {
    return null;
  }
}

/** Temp file, fsync, rename over, fsync of the directory: the old or the new content, never half. */
function writeFileDurablySync(path: string, text: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // nothing to remove
    }
    throw error;
  }
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
