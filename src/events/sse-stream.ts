import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type EventQuery, type OrchestratorEvent } from './domain/event.model.js';
import { RESYNC_EVENT, resyncMessage, type StreamResync } from './domain/stream-resync.js';
import { type EventBus } from './event-bus.js';

export const SSE_HEARTBEAT_MS = 15_000;
/** History events fetched at a time while a resumed client catches up. */
const REPLAY_BATCH = 100;

function frame(event: OrchestratorEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Its `id` is the head, so a client reconnecting after it resumes from there. */
function resyncFrame(resync: StreamResync): string {
  const data = {
    type: RESYNC_EVENT,
    reason: resync.reason,
    message: resyncMessage(resync),
    last_event_id: resync.cursor,
    oldest_id: resync.oldest_id,
    head_id: resync.head_id,
  };
  return `id: ${resync.head_id}\nevent: ${RESYNC_EVENT}\ndata: ${JSON.stringify(data)}\n\n`;
}

function matches(event: OrchestratorEvent, query: EventQuery): boolean {
  return (!query.type || event.type === query.type) && (!query.task_id || event.task_id === query.task_id);
}

export interface StreamLimits {
  /** `event.sse_max_buffered_kb` in bytes: what may wait for a subscriber that does not read. */
  readonly maxBufferedBytes: number;
  /** Told when a subscriber is dropped (to log it): the last id it was sent. */
  readonly onDrop: (lastSent: number, buffered: number) => void;
}

/**
 * Writes history after `query.after`, then live events, as Server-Sent Events until the
 * client goes away. A cursor the history cannot serve (older than what is kept, or never
 * issued), also one overtaken by the history while it catches up, gets a `stream.resync`
 * event instead, and the stream goes on from the head. A comment line every 15 s keeps proxies from closing an idle stream.
 * A subscriber that does not read is dropped (the connection closed) once more than
 * `maxBufferedBytes` wait for it, so clients that never read cannot grow the server's memory;
 * it resumes with `Last-Event-ID` and is sent what it missed from history.
 */
export function streamEvents(
  bus: EventBus,
  request: FastifyRequest,
  reply: FastifyReply,
  query: EventQuery,
  limits: StreamLimits,
): void {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  raw.write(': connected\n\n');
  let lastSent = query.after ?? 0;
  let closed = false;
  // While history is replayed, live events wait in history: they are sent by the catch-up.
  let replaying = query.after !== undefined;
  const write = (event: OrchestratorEvent) => {
    lastSent = event.id;
    raw.write(frame(event));
  };
  const sendLive = (event: OrchestratorEvent) => {
    if (closed || replaying || event.id <= lastSent || !matches(event, query)) return;
    write(event);
    if (raw.writableLength > limits.maxBufferedBytes) {
      closed = true;
      limits.onDrop(lastSent, raw.writableLength);
      raw.destroy();
    }
  };
  const subscription = bus.stream().subscribe({ next: sendLive, complete: () => raw.end() });
  const heartbeat = setInterval(() => {
    if (!closed) raw.write(': heartbeat\n\n');
  }, SSE_HEARTBEAT_MS);
  const close = () => {
    closed = true;
    clearInterval(heartbeat);
    subscription.unsubscribe();
  };
  request.raw.on('close', close);
  raw.on('close', close);
  raw.on('error', close);
  if (replaying) void replay();

  /**
   * History after `lastSent`, paced by the client: past the buffer cap it waits for a drain.
   * `scanned` is how far the history was read (past events the filter skips), so a slow client
   * is told to resync only when events it would have been sent were dropped.
   */
  async function replay(): Promise<void> {
    let scanned = lastSent;
    for (;;) {
      const resync = bus.resyncFor(scanned);
      if (resync) {
        scanned = lastSent = resync.head_id;
        raw.write(resyncFrame(resync));
      }
      const head = bus.headId;
      const missed = bus.list({ ...query, after: scanned, limit: REPLAY_BATCH });
      if (missed.length === 0 || closed) break;
      scanned = missed.length < REPLAY_BATCH ? head : missed[missed.length - 1].id;
      for (const event of missed) {
        if (closed) return;
        write(event);
        if (raw.writableLength > limits.maxBufferedBytes) await drained();
      }
    }
    // Synchronously after an empty catch-up: no event can slip between it and the live feed.
    lastSent = Math.max(lastSent, scanned);
    replaying = false;
  }

  function drained(): Promise<void> {
    return new Promise((resolveDrain) => {
      const done = () => {
        raw.off('drain', done).off('close', done);
        resolveDrain();
      };
      raw.on('drain', done).on('close', done);
    });
  }
}
