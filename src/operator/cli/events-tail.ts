import { terminalText } from '../../common/cli/terminal-text.js';
import { OrchestratorUnavailableError } from '../../sdk/errors.js';
import { type CliOutput } from '../../workflow/cli/workflow.commands.js';
import { type StreamedEvent, type StreamResyncData } from './operator-api.types.js';
import { type EventStreamQuery, type OperatorClient } from './operator-client.js';
import { type EventCursorFile } from './event-cursor-file.js';
import { formatEventLine, formatResyncLine } from './operator-views.js';
import { type SseFrame, SseParser } from './sse-parser.js';

export interface TailOptions {
  client: OperatorClient;
  /** Start after this id (`Last-Event-ID`; 0: everything kept); undefined: new events only. */
  after?: number;
  type?: string;
  taskId?: string;
  /** Stop after this many events (a `stream.resync` does not count). */
  limit?: number;
  /** Stop once no event came for this long (heartbeats do not count). */
  untilIdleMs?: number;
  /** Stores the id of every event printed (and of a resync's head). */
  cursor?: EventCursorFile;
  json: boolean;
  /** Aborted on SIGINT/SIGTERM: the tail stops, exit 0. */
  signal: AbortSignal;
  io: CliOutput;
  /** Reconnects after the server closed the stream, each after a doubling pause (default 5, from 500 ms). */
  reconnects?: { attempts: number; baseDelayMs: number };
}

type Outcome = 'stop' | 'closed';

/**
 * `events tail`: prints the event stream, one line (or JSON line) per event. When the server ends
 * the stream (restart, slow-client drop) it reconnects with `Last-Event-ID` = the last id seen, so
 * nothing is missed or printed twice; a cursor the server can no longer serve comes back as a
 * `stream.resync` line. The first connection failing is an error; later ones are retried.
 */
export async function runEventsTail(options: TailOptions): Promise<void> {
  const { io, signal } = options;
  const reconnects = options.reconnects ?? { attempts: 5, baseDelayMs: 500 };
  let last = options.after;
  let printed = 0;
  let failures = 0;
  let connected = false;

  const onFrame = (frame: SseFrame): boolean => {
    if (frame.event === 'stream.resync') {
      const resync = JSON.parse(frame.data) as StreamResyncData;
      io.out(
        options.json
          ? JSON.stringify({ id: Number(frame.id), ...resync })
          : formatResyncLine(frame.id, resync),
      );
      io.err(`orchestrator: ${terminalText(String(resync.message))}`);
    } else {
      const event = JSON.parse(frame.data) as StreamedEvent;
      io.out(options.json ? JSON.stringify(event) : formatEventLine(event));
      printed++;
    }
    if (frame.id !== undefined && /^\d+$/.test(frame.id)) {
      last = Number(frame.id);
      options.cursor?.write(last);
    }
    return options.limit !== undefined && printed >= options.limit;
  };

  if (options.limit === 0) return;
  while (!signal.aborted) {
    const query: EventStreamQuery = { after: last, type: options.type, task_id: options.taskId };
    const attempt = new AbortController();
    const abort = () => attempt.abort();
    signal.addEventListener('abort', abort);
    try {
      let response: Response;
      try {
        response = await options.client.openEvents(query, attempt.signal);
      } catch (error) {
        if (signal.aborted) return;
        if (
          !connected ||
          !(error instanceof OrchestratorUnavailableError) ||
          ++failures > reconnects.attempts
        )
          throw error;
        await pause(reconnects.baseDelayMs * 2 ** (failures - 1), signal);
        continue;
      }
      connected = true;
      failures = 0;
      const outcome = await readStream(response, attempt, onFrame, options.untilIdleMs);
      if (outcome === 'stop') return;
      if (signal.aborted) return;
      io.err(
        `orchestrator: the server closed the event stream; reconnecting after event ${last ?? '(live)'}`,
      );
      await pause(reconnects.baseDelayMs, signal);
    } finally {
      signal.removeEventListener('abort', abort);
      attempt.abort();
    }
  }
}

/** Reads frames until `onFrame` says stop, the idle time passes, the attempt is aborted, or the server ends it. */
async function readStream(
  response: Response,
  attempt: AbortController,
  onFrame: (frame: SseFrame) => boolean,
  untilIdleMs: number | undefined,
): Promise<Outcome> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  let idle = false;
  let timer: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (untilIdleMs === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      attempt.abort();
    }, untilIdleMs);
  };
  armIdle();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (attempt.signal.aborted) return 'stop';
        throw error;
      }
      if (chunk.done) return idle || attempt.signal.aborted ? 'stop' : 'closed';
      for (const frame of parser.push(decoder.decode(chunk.value, { stream: true }))) {
        armIdle();
        if (onFrame(frame)) return 'stop';
      }
    }
  } catch (error) {
    // A reset connection mid-stream is the server going away: reconnect.
    if (isNetworkError(error)) return 'closed';
    throw error;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

function isNetworkError(error: unknown): boolean {
  const name = (error as { name?: unknown })?.name;
  return name === 'TypeError' || (error as { code?: unknown })?.code === 'UND_ERR_SOCKET';
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
