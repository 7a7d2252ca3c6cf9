import { type EventDraft, numberedEvent } from '../domain/event.model.js';
import { type EventLog } from '../log/event-log.js';
import { type EventSequence } from '../sequence/event-sequence.js';
import { EventPipeline, type OpenedEvents } from './event-pipeline.js';

/**
 * Events numbered in this process (`state.backend` memory or file): ids from the sequence, each
 * event emitted and appended to the log the moment it is published. A change's events are
 * published after its store write resolved, so an event never announces what was not stored.
 */
export class LocalEventPipeline extends EventPipeline {
  constructor(
    private readonly sequence: EventSequence,
    private readonly log: EventLog,
  ) {
    super();
  }

  async open(keep: number): Promise<OpenedEvents> {
    const kept = await this.log.load(keep);
    const lastKept = kept.events.at(-1)?.id ?? 0;
    const previous = await this.sequence.open(lastKept);
    // Events an earlier run issued after the last one kept (not persisted, or cut off by a
    // crash) are gone: cursors before them cannot be resumed from.
    const lostThrough = lastKept === previous ? kept.lostThrough : previous;
    return { events: kept.events, lostThrough, head: previous };
  }

  publish(draft: EventDraft): void {
    const event = numberedEvent(draft, this.sequence.next());
    this.log.append(event);
    this.emit(event);
  }

  committed(drafts: readonly EventDraft[]): Promise<void> {
    for (const draft of drafts) this.publish(draft);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.sequence.close();
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
