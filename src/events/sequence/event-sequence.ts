/**
 * Hands out event ids. Ids only grow, across restarts too, so a client's `Last-Event-ID` can
 * never name another event after a restart. An abstract class: its own injection token.
 */
export abstract class EventSequence {
  /**
   * Readies the sequence; every id it hands out is greater than `above` (events already kept).
   * Returns the highest id an earlier run may have handed out: every greater id is this run's.
   */
  abstract open(above: number): Promise<number>;

  /** The next id: greater than every id handed out before, in this run or an earlier one. */
  abstract next(): number;

  /** Records where this run stopped, so the next run knows no id after the last one was used. */
  abstract close(): Promise<void>;
}

/** Ids per millisecond of the clock at start: a run starts above what earlier runs handed out. */
export const IDS_PER_MS = 1000;

/**
 * Where a run with nothing recorded starts: the clock in microseconds-like steps. An earlier run
 * handed out fewer ids than this unless it published over 1000 events per millisecond on average
 * or the clock stepped back; the durable adapter does not depend on it.
 */
export function clockFloor(nowMs: number): number {
  const floor = Math.floor(nowMs) * IDS_PER_MS;
  return Number.isSafeInteger(floor) && floor > 0 ? floor : 0;
}
