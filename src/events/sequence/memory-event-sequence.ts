import { type Clock } from '../../common/domain/clock.js';
import { clockFloor, EventSequence } from './event-sequence.js';

/**
 * Ids kept in memory (`state.backend: memory`). Nothing survives a restart, so each run starts
 * above the clock (see `clockFloor`): a `Last-Event-ID` from an earlier run is older than
 * anything this run has, which the event bus answers with a resync, never with other events.
 */
export class MemoryEventSequence extends EventSequence {
  private last: number;

  constructor(private readonly clock: Clock) {
    super();
    this.last = clockFloor(clock.now());
  }

  open(above: number): Promise<number> {
    this.last = Math.max(clockFloor(this.clock.now()), above, this.last);
    return Promise.resolve(this.last);
  }

  next(): number {
    this.last += 1;
    return this.last;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
