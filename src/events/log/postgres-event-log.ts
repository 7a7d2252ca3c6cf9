import type pg from 'pg';
import { queryPool } from '../../database/database-pool.js';
import { type OrchestratorEvent } from '../domain/event.model.js';
import { EventLog, type PersistedEvents } from './event-log.js';

interface EventRow {
  seq: string;
  type: string;
  task_id: string | null;
  actor: string | null;
  at: Date;
  data: Record<string, unknown>;
}

export interface PostgresEventLogOptions {
  readonly pool: pg.Pool;
  /** Events kept (`event.max_history`); older ones are pruned as new ones arrive. */
  readonly keep: number;
  readonly warn: (message: string) => void;
  /** Called by `close` after the last write (gives its share of the pool back). */
  readonly release?: () => Promise<void>;
}

/**
 * Events in the `events` table (`state.backend: postgres`): appended in batches (one INSERT per
 * batch, in publish order) and reloaded at start, so `Last-Event-ID` resumes across restarts.
 * The table is pruned to the newest `keep` events every `keep` appends.
 */
export class PostgresEventLog extends EventLog {
  private pending: OrchestratorEvent[] = [];
  private writing: Promise<void> = Promise.resolve();
  private sincePrune = 0;

  constructor(private readonly options: PostgresEventLogOptions) {
    super();
  }

  async load(keep: number): Promise<PersistedEvents> {
    const { rows } = await queryPool<EventRow>(
      this.options.pool,
      'SELECT seq, type, task_id, actor, at, data FROM events ORDER BY seq DESC LIMIT $1',
      [keep],
    );
    const events = rows.reverse().map(toEvent);
    return { events, lostThrough: events.length > 0 ? events[0]!.id - 1 : 0 };
  }

  append(event: OrchestratorEvent): void {
    this.pending.push(event);
    if (this.pending.length > 1) return;
    this.writing = this.writing.then(() => this.writeBatch());
  }

  flush(): Promise<void> {
    return this.writing;
  }

  override async close(): Promise<void> {
    await this.flush();
    await this.options.release?.();
  }

  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      await queryPool(
        this.options.pool,
        `INSERT INTO events (seq, type, task_id, actor, at, data)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
         ON CONFLICT (seq) DO NOTHING`,
        [
          batch.map((e) => e.id),
          batch.map((e) => e.type),
          batch.map((e) => e.task_id ?? null),
          batch.map((e) => e.actor ?? null),
          batch.map((e) => e.at),
          batch.map((e) => JSON.stringify(e.data)),
        ],
      );
      this.sincePrune += batch.length;
      if (this.sincePrune >= this.options.keep) await this.prune();
    } catch (error) {
      this.options.warn(`cannot store ${batch.length} event(s) in the database: ${(error as Error).message}`);
    }
  }

  private async prune(): Promise<void> {
    this.sincePrune = 0;
    await queryPool(
      this.options.pool,
      `DELETE FROM events WHERE seq < (SELECT seq FROM events ORDER BY seq DESC OFFSET $1 LIMIT 1)`,
      [this.options.keep - 1],
    );
  }
}

function toEvent(row: EventRow): OrchestratorEvent {
  return {
    id: Number(row.seq),
    type: row.type as OrchestratorEvent['type'],
    at: row.at.toISOString(),
    ...(row.task_id !== null ? { task_id: row.task_id } : {}),
    ...(row.actor !== null ? { actor: row.actor } : {}),
    data: row.data,
  };
}
