import type pg from 'pg';
import { type Clock } from '../../common/domain/clock.js';
import { queryPool } from '../../database/database-pool.js';
import { clockFloor, EventSequence } from './event-sequence.js';

export interface PostgresEventSequenceOptions {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  readonly blockSize?: number;
  readonly onWarning?: (message: string) => void;
  /** Called once the sequence is closed (gives its share of the pool back). */
  readonly release?: () => Promise<void>;
}

const ROW = 'events';
/** Ids per block: a crash skips at most this many; a burst this big before a write lands is unheard of. */
export const POSTGRES_BLOCK_SIZE = 10_000;

/**
 * Ids that never repeat across restarts and across instances (`state.backend: postgres`): each
 * block is reserved by one UPDATE of `event_id_blocks` before any id of it is handed out, so two
 * processes never get the same block and a crash only skips ids. `next()` must answer at once,
 * so the next block is reserved ahead once half of the current one is used; a reservation always
 * starts past every id this process handed out, even one given out while it was in flight.
 */
export class PostgresEventSequence extends EventSequence {
  private readonly blockSize: number;
  private last: number;
  private reservedThrough = 0;
  private ahead: Promise<void> | null = null;
  private warnedOverrun = false;

  constructor(private readonly options: PostgresEventSequenceOptions) {
    super();
    this.blockSize = options.blockSize ?? POSTGRES_BLOCK_SIZE;
    this.last = clockFloor(options.clock.now());
  }

  async open(above: number): Promise<number> {
    await queryPool(
      this.options.pool,
      'INSERT INTO event_id_blocks (name, issued_through) VALUES ($1, 0) ON CONFLICT DO NOTHING',
      [ROW],
    );
    const before = await queryPool<{ issued_through: string }>(
      this.options.pool,
      'SELECT issued_through FROM event_id_blocks WHERE name = $1',
      [ROW],
    );
    const stored = Number(before.rows[0]?.issued_through ?? 0);
    const previous = Math.max(stored > 0 ? stored : clockFloor(this.options.clock.now()), above);
    this.last = Math.max(previous, clockFloor(this.options.clock.now()), this.last);
    const { start, through } = await this.reserve(this.last);
    this.last = start;
    this.reservedThrough = through;
    return previous;
  }

  next(): number {
    if (this.last >= this.reservedThrough && !this.warnedOverrun) {
      this.warnedOverrun = true;
      this.options.onWarning?.(
        `event ids ran past the reserved block (${this.reservedThrough}) before the next reservation landed`,
      );
    }
    if (this.reservedThrough - this.last <= this.blockSize / 2) this.reserveAhead();
    this.last += 1;
    return this.last;
  }

  async close(): Promise<void> {
    await this.ahead;
    // Give the unused rest of the block back, unless another process reserved after us.
    await queryPool(
      this.options.pool,
      'UPDATE event_id_blocks SET issued_through = $2 WHERE name = $1 AND issued_through = $3',
      [ROW, this.last, this.reservedThrough],
    ).catch(() => undefined);
    this.reservedThrough = this.last;
  }

  /** Resolves once a block being reserved ahead is in place (or given up). */
  async whenReservedAhead(): Promise<void> {
    await this.ahead;
  }

  private reserveAhead(): void {
    if (this.ahead) return;
    this.ahead = this.reserve(this.reservedThrough)
      .then(({ start, through }) => {
        // Ids given out past the block while this was in flight stay below the new block's use.
        this.last = Math.max(this.last, start);
        this.reservedThrough = through;
      })
      .catch((error: unknown) =>
        this.options.onWarning?.(`cannot reserve event ids: ${(error as Error).message}`),
      )
      .finally(() => (this.ahead = null));
  }

  /** Reserves the block after max(stored, `after`, ids already given out); returns its bounds. */
  private async reserve(after: number): Promise<{ start: number; through: number }> {
    const floor = Math.max(after, this.last);
    const result = await queryPool<{ issued_through: string; previous: string }>(
      this.options.pool,
      `UPDATE event_id_blocks SET issued_through = GREATEST(issued_through, $2) + $3
        WHERE name = $1 RETURNING issued_through, issued_through - $3 AS previous`,
      [ROW, floor, this.blockSize],
    );
    const through = Number(result.rows[0]!.issued_through);
    return { start: Number(result.rows[0]!.previous), through };
  }
}
