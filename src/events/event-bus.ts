import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { Clock } from '../common/domain/clock.js';
import { redactSecrets } from '../common/domain/redaction.js';
import { ConflictError } from '../common/domain/domain-error.js';
import { AppConfig } from '../config/app-config.js';
import { EventHistory } from './domain/event-history.js';
import { resyncMessage, type StreamResync } from './domain/stream-resync.js';
import {
  type EventDraft,
  type EventInput,
  type EventQuery,
  type EventType,
  type OrchestratorEvent,
} from './domain/event.model.js';
import { EventPipeline } from './pipeline/event-pipeline.js';

/** A page of events and the cursor to pass as `after` next time. */
export interface EventPage {
  readonly events: OrchestratorEvent[];
  readonly last_id: number;
}

/**
 * The typed event bus: keeps the last `event.max_history` events for queries, streams them to
 * subscribers, and knows which cursors it can resume from (one older than what it kept, or one
 * never issued, gets a resync instead of silence). Numbering and keeping events is the
 * `EventPipeline`'s: ids never repeat across restarts; with postgres a change's events are
 * stored in the change's transaction and numbered by the database. Data is redacted before it
 * is stored or sent.
 */
@Injectable()
export class EventBus implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);
  private readonly history: EventHistory;
  private readonly live = new Subject<OrchestratorEvent>();
  /** The newest id issued (by this run, or the highest an earlier run may have issued). */
  private head = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly pipeline: EventPipeline,
  ) {
    this.history = new EventHistory(config.values.event.max_history);
    pipeline.connect(
      (event) => this.emit(event),
      (through) => this.history.markLostThrough(through),
    );
  }

  async onModuleInit(): Promise<void> {
    const opened = await this.pipeline.open(this.config.values.event.max_history);
    this.history.markLostThrough(opened.lostThrough);
    for (const event of opened.events) this.history.add(event);
    this.head = Math.max(this.head, opened.head);
  }

  /** An event of no stored change (a decision, a token minted): numbered and streamed as soon as it can be. */
  publish(type: EventType, input: EventInput = {}): void {
    this.pipeline.publish(this.draft(type, input));
  }

  /**
   * The event as a change carries it (`events` of a state mutation): timed now, data redacted.
   * A store that keeps events with its changes (postgres) writes it in the change's transaction.
   */
  draft(type: EventType, input: EventInput = {}): EventDraft {
    return {
      type,
      at: new Date(this.clock.now()).toISOString(),
      ...(input.task_id !== undefined ? { task_id: input.task_id } : {}),
      ...(input.actor !== undefined ? { actor: input.actor } : {}),
      data: redactSecrets(input.data ?? {}) as Record<string, unknown>,
    };
  }

  /**
   * After a change was stored with `drafts` as its events: resolves once they are streamed (in
   * this process they are numbered now; with postgres, once the database numbered them).
   */
  committed(drafts: readonly EventDraft[]): Promise<void> {
    return this.pipeline.committed(drafts);
  }

  private emit(event: OrchestratorEvent): void {
    if (event.id > this.head) this.head = event.id;
    this.history.add(event);
    this.live.next(event);
  }

  list(query: EventQuery): OrchestratorEvent[] {
    return this.history.query(query);
  }

  /**
   * A page after `query.after`, or `events_resync_required` (409) when that cursor cannot be
   * resumed from. A page that is not full ends at the head, so the next cursor skips events the
   * filter passed over.
   */
  page(query: EventQuery): EventPage {
    const resync = this.resyncFor(query.after ?? 0);
    if (resync) {
      throw new ConflictError('events_resync_required', resyncMessage(resync), {
        reason: resync.reason,
        after: resync.cursor,
        oldest_id: resync.oldest_id,
        head_id: resync.head_id,
      });
    }
    const events = this.history.query(query);
    const full = events.length >= (query.limit ?? 100);
    return { events, last_id: full ? events.at(-1)!.id : this.head };
  }

  /** The newest id issued: where a client starts from to get only what comes next. */
  get headId(): number {
    return this.head;
  }

  /** Null when a client that saw everything up to `cursor` can be sent what it missed. */
  resyncFor(cursor: number): StreamResync | null {
    return this.history.resyncFor(cursor, this.head);
  }

  /** Live events from now on. */
  stream(): Observable<OrchestratorEvent> {
    return this.live.asObservable();
  }

  /**
   * Ends open event streams before the HTTP server waits for connections to close, and records
   * the last id while the state directory is surely still ours (its lock goes in onApplicationShutdown).
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.live.complete();
    await this.pipeline.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.close();
  }
}
