import { type EventDraft, type OrchestratorEvent } from '../domain/event.model.js';
import { type PersistedEvents } from '../log/event-log.js';

/** What a run starts from: the events kept, what is lost, and the newest id ever issued. */
export interface OpenedEvents extends PersistedEvents {
  /** The highest id an earlier run (or another instance) may have issued. */
  readonly head: number;
}

/**
 * Numbers events and makes them last, per `state.backend`. Its own injection token.
 * - In this process (memory, file): ids from an `EventSequence`, an `EventLog` behind; an event
 *   is numbered and emitted the moment it is published.
 * - In the database (postgres): a change's events are stored in the change's own transaction
 *   (event_outbox); the sequencer numbers them, and events published outside a change, after the
 *   commit, gap-free across every writer, and emits them here once that commit is done. Events
 *   other instances numbered are read from the table (woken by LISTEN, or by a safety poll).
 * Emitted events reach the bus through `connect`, in id order, each once, from every instance.
 */
export abstract class EventPipeline {
  protected emit: (event: OrchestratorEvent) => void = () => undefined;
  protected lost: (through: number) => void = () => undefined;

  /**
   * Where numbered events go (the bus's history and live stream), and where to say that events
   * up to an id were issued but cannot be had any more (pruned before this process read them).
   */
  connect(emit: (event: OrchestratorEvent) => void, lost?: (through: number) => void): void {
    this.emit = emit;
    if (lost) this.lost = lost;
  }

  /** Loads what an earlier run kept; must run before the first publish. */
  abstract open(keep: number): Promise<OpenedEvents>;

  /** An event of no stored change (a tool decision, a token minted): numbered as soon as it can be. */
  abstract publish(draft: EventDraft): void;

  /**
   * The events of a change that has just been stored. Resolves once they are emitted; where the
   * store kept them with the change (postgres) the drafts are not needed again and a failure to
   * number them now only delays them (they are still in the database), so this never rejects.
   */
  abstract committed(drafts: readonly EventDraft[]): Promise<void>;

  /** No more events: numbers what is left, records where this run stopped. */
  abstract stop(): Promise<void>;

  /** Lets go of storage (the log file, the pool share); after `stop`. */
  abstract close(): Promise<void>;
}
