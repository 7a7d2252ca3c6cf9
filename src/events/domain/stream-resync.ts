/** The SSE event type telling a resuming client it missed events and must re-read what it follows. */
export const RESYNC_EVENT = 'stream.resync';

/**
 * Why a cursor (`Last-Event-ID`, or `after`) cannot be resumed from:
 * - `expired`: events after it are no longer kept (past `event.max_history`, or lost at a restart);
 * - `unknown_id`: this server never handed it out (another state directory, or a made-up id).
 */
export type ResyncReason = 'expired' | 'unknown_id';

export interface StreamResync {
  readonly reason: ResyncReason;
  /** The cursor the client sent. */
  readonly cursor: number;
  /** The oldest event kept, or null when none is. */
  readonly oldest_id: number | null;
  /** The newest id handed out: continue after it once re-synced. */
  readonly head_id: number;
}

export function resyncMessage({ reason, cursor, oldest_id, head_id }: StreamResync): string {
  const cause =
    reason === 'expired'
      ? `events after ${cursor} are no longer kept (the oldest kept is ${oldest_id ?? 'none'}; ` +
        'events are dropped past event.max_history and at a restart unless persisted)'
      : `this server never issued event ${cursor} (its newest is ${head_id}): the id is from another state directory or made up`;
  return `Cannot resume after ${cursor}: ${cause}. Re-read the state you follow, then continue after ${head_id}.`;
}
