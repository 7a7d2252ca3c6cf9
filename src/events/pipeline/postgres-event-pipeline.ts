import type pg from 'pg';
import { type Clock } from '../../common/domain/clock.js';
import { redactUrlCredentials } from '../../common/domain/url-credentials.js';
import { queryPool, withTransaction } from '../../database/database-pool.js';
import { type EventDraft, type OrchestratorEvent } from '../domain/event.model.js';
import { clockFloor } from '../sequence/event-sequence.js';
import { EventFollower, type EventFollowerOptions } from './event-follower.js';
import {
  CATCH_UP_BATCH,
  EVENT_BATCH,
  EVENT_HEAD,
  hasStaleDrafts,
  loadEventsAfter,
  loadNewestEvents,
  numberEvents,
} from './event-rows.js';
import { EventPipeline, type OpenedEvents } from './event-pipeline.js';

export interface PostgresEventPipelineOptions {
  readonly pool: pg.Pool;
  readonly clock: Clock;
  /** Events kept in the table (`event.max_history`); older ones are pruned as new ones arrive. */
  readonly keep: number;
  readonly warn: (message: string) => void;
  /** Called by `close` (gives the pipeline's share of the pool back). */
  readonly release?: () => Promise<void>;
  /** Wait before numbering again after the database refused (ms). */
  readonly retryMs?: number;
  /**
   * Hearing of other instances' events (LISTEN + a poll). Without it this process emits what it
   * numbered itself, and what others numbered before each of its own batches.
   */
  readonly follow?: Omit<EventFollowerOptions, 'channel' | 'onNotify' | 'onPoll' | 'warn'>;
  /** Where each numbering batch NOTIFYs its new head (see `eventChannel`); none: no NOTIFY. */
  readonly channel?: string;
  /** Recorded with the head as who numbered last (`GET /`). */
  readonly instanceId?: string;
}

/** Drafts waiting longer than this in event_outbox were left by an instance that died. */
const LEFTOVER_MS = 2000;

/** Events of no change held while the database is away; beyond this the oldest are dropped (logged). */
export const MAX_UNNUMBERED = 10_000;

/**
 * Events ordered by the database (`state.backend: postgres`). A change's events are stored in
 * the change's transaction (event_outbox, see `insertEventDrafts`), so a change is never without
 * its event and an event never announces a change that rolled back. Numbering runs one
 * transaction at a time per process, grouping every draft waiting (outbox rows first, then
 * events of no change published here), under the head row's lock: one gap-free sequence for the
 * whole database, off the request path's locks (no NOTIFY, no shared row in request
 * transactions). Every instance emits every event, in id order, each once: what it numbered
 * after that commit, what other instances numbered read from the table — before its own batch
 * (the head lock guarantees those are committed), and when LISTEN or the safety poll says the
 * head moved.
 */
export class PostgresEventPipeline extends EventPipeline {
  private local: EventDraft[] = [];
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private retry: NodeJS.Timeout | null = null;
  private sincePrune = 0;
  private stopped = false;
  private warnedDrop = false;
  /** The highest id emitted here; every lower one was emitted or reported lost. */
  private emitted = 0;
  /** Emissions run one at a time, in id order. */
  private lane: Promise<void> = Promise.resolve();
  private catchUpQueued = false;
  private follower: EventFollower | null = null;

  constructor(private readonly options: PostgresEventPipelineOptions) {
    super();
  }

  async open(keep: number): Promise<OpenedEvents> {
    const { pool, clock } = this.options;
    // A database that never numbered an event starts above the clock: a cursor from another
    // database (restored, recreated) is older than every id here and gets a resync.
    await queryPool(
      pool,
      'INSERT INTO event_id_blocks (name, issued_through) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [EVENT_HEAD, clockFloor(clock.now())],
    );
    const head = await queryPool<{ issued_through: string }>(
      pool,
      'SELECT issued_through FROM event_id_blocks WHERE name = $1',
      [EVENT_HEAD],
    );
    const issued = Number(head.rows[0]!.issued_through);
    const events = await loadNewestEvents(pool, keep);
    // Every id through the head is in the table unless pruned: the oldest kept marks what is gone.
    const lostThrough = events.length > 0 ? events[0]!.id - 1 : issued;
    this.emitted = Math.max(issued, events.at(-1)?.id ?? 0);
    this.startFollowing();
    // Drafts a crash left in the outbox (their changes committed) are numbered now.
    void this.schedule();
    return { events, lostThrough, head: this.emitted };
  }

  private startFollowing(): void {
    const { follow, channel } = this.options;
    if (!follow || !channel) return;
    this.follower = new EventFollower({
      ...follow,
      channel,
      warn: this.options.warn,
      onNotify: (head) => {
        if (head > this.emitted) this.queueCatchUp();
      },
      onPoll: () => {
        this.queueCatchUp();
        void this.adoptLeftovers();
      },
    });
    this.follower.start();
  }

  publish(draft: EventDraft): void {
    if (this.stopped) return;
    this.local.push(draft);
    if (this.local.length > MAX_UNNUMBERED) {
      this.local.shift();
      if (!this.warnedDrop) {
        this.warnedDrop = true;
        this.options.warn(`more than ${MAX_UNNUMBERED} events wait for the database: dropping the oldest`);
      }
    }
    void this.schedule();
  }

  /** The drafts are already in event_outbox (the store wrote them with the change). */
  committed(): Promise<void> {
    return this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.follower?.stop();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    await this.schedule();
    if (this.local.length > 0) {
      this.options.warn(
        `${this.local.length} event(s) of no stored change could not be numbered before shutdown`,
      );
    }
  }

  async close(): Promise<void> {
    await this.running;
    await this.lane;
    await this.options.release?.();
  }

  /**
   * A numbering pass that starts after every commit made before this call: the pass in flight
   * may have read the outbox before it, so callers share the next pass, queued behind it.
   */
  private schedule(): Promise<void> {
    if (this.queued) return this.queued;
    const previous = this.running ?? Promise.resolve();
    const pass: Promise<void> = previous.then(async () => {
      this.queued = null;
      this.running = pass;
      try {
        await this.numberAll();
      } finally {
        if (this.running === pass) this.running = null;
      }
    });
    this.queued = pass;
    return pass;
  }

  /** Numbers batches until nothing waits; on a database error, tries again later (never throws). */
  private async numberAll(): Promise<void> {
    try {
      while (await this.numberBatch());
    } catch (error) {
      this.options.warn(
        `cannot number events in the database, retrying: ${redactUrlCredentials((error as Error).message)}`,
      );
      this.retryLater();
    }
  }

  private async numberBatch(): Promise<boolean> {
    const local = this.local.splice(0, EVENT_BATCH);
    let batch;
    try {
      batch = await withTransaction(
        this.options.pool,
        (client) => numberEvents(client, local, this.options),
        {
          begin: 'inline',
        },
      );
    } catch (error) {
      // Rolled back: they wait for the next pass, still first.
      this.local.unshift(...local);
      throw error;
    }
    // Emitting never fails the pass: the batch is committed (taking the drafts back would
    // number them twice); an event that could not be emitted now is read from the table later.
    await this.deliver(batch.events).catch((error: unknown) =>
      this.options.warn(
        `cannot read events of other instances, retrying: ${redactUrlCredentials((error as Error).message)}`,
      ),
    );
    this.sincePrune += batch.events.length;
    if (this.sincePrune >= this.options.keep) await this.prune();
    return batch.more || this.local.length > 0;
  }

  /**
   * Numbers drafts another instance stored and did not number (it died in between), so that
   * an idle survivor takes them over instead of waiting for its own next change.
   */
  private async adoptLeftovers(): Promise<void> {
    if (this.stopped || this.running) return;
    const stale = await hasStaleDrafts(this.options.pool, LEFTOVER_MS).catch(() => false);
    if (stale) await this.schedule();
  }

  /** Emits `events` (one committed batch) in order, after whatever other instances numbered first. */
  private deliver(events: readonly OrchestratorEvent[]): Promise<void> {
    const run = this.lane.then(async () => {
      const fresh = events.filter((event) => event.id > this.emitted);
      if (fresh.length === 0) return;
      if (fresh[0]!.id > this.emitted + 1) await this.catchUp(fresh[0]!.id - 1);
      for (const event of fresh) this.emitOnce(event);
    });
    this.lane = run.catch(() => undefined);
    return run;
  }

  /** One catch-up waits in the lane at a time: a flood of notifications makes one query. */
  private queueCatchUp(): void {
    if (this.catchUpQueued || this.stopped) return;
    this.catchUpQueued = true;
    this.lane = this.lane
      .then(() => {
        this.catchUpQueued = false;
        return this.catchUp(Number.MAX_SAFE_INTEGER);
      })
      .catch((error: unknown) => {
        this.catchUpQueued = false;
        this.options.warn(
          `cannot read events of other instances, retrying: ${redactUrlCredentials((error as Error).message)}`,
        );
      });
  }

  /** Emits the stored events after the last emitted one, through `through`. */
  private async catchUp(through: number): Promise<void> {
    for (;;) {
      const page = await loadEventsAfter(this.options.pool, this.emitted, CATCH_UP_BATCH);
      for (const event of page) {
        if (event.id > through) return;
        this.emitOnce(event);
      }
      if (page.length < CATCH_UP_BATCH) return;
    }
  }

  private emitOnce(event: OrchestratorEvent): void {
    if (event.id <= this.emitted) return;
    // Pruned before this process read them (it was away longer than the table keeps events).
    if (event.id > this.emitted + 1) this.lost(event.id - 1);
    this.emitted = event.id;
    this.emit(event);
  }

  private retryLater(): void {
    if (this.retry || this.stopped) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.schedule();
    }, this.options.retryMs ?? 1000);
    this.retry.unref();
  }

  /** Keeps the newest `keep` events; a failed prune is tried again after the next `keep`. */
  private async prune(): Promise<void> {
    this.sincePrune = 0;
    await queryPool(
      this.options.pool,
      'DELETE FROM events WHERE seq < (SELECT seq FROM events ORDER BY seq DESC OFFSET $1 LIMIT 1)',
      [this.options.keep - 1],
    ).catch((error: unknown) => this.options.warn(`cannot prune events: ${(error as Error).message}`));
  }
}
