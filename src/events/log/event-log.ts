import { type OrchestratorEvent } from '../domain/event.model.js';

/** What an earlier run left: the events kept, and the id through which events are gone. */
export interface PersistedEvents {
  readonly events: readonly OrchestratorEvent[];
  /** Cursors at or before this id cannot be resumed from (0: nothing lost). */
  readonly lostThrough: number;
}

/**
 * Where events numbered in this process outlive it (`event.enable_event_persistence`; with
 * postgres the database keeps them, see `PostgresEventPipeline`). `NoEventLog` when nothing is kept.
 */
export abstract class EventLog {
  /** The newest `keep` events, oldest first. */
  abstract load(keep: number): Promise<PersistedEvents>;
  /** Queues `event` for writing, in order; a failed write is logged, never thrown at the publisher. */
  abstract append(event: OrchestratorEvent): void;
  /** Resolves once everything appended so far is written (or given up). */
  abstract flush(): Promise<void>;
  /** Flushes, then lets go of what the log holds (its share of the database pool). */
  close(): Promise<void> {
    return this.flush();
  }
}

/** Persistence off: events live in memory only. */
export class NoEventLog extends EventLog {
  load(): Promise<PersistedEvents> {
    return Promise.resolve({ events: [], lostThrough: 0 });
  }
  append(): void {}
  flush(): Promise<void> {
    return Promise.resolve();
  }
}
