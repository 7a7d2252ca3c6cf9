import type { OrchestratorEvent } from './types';

/**
 * The live event stream (GET /api/v1/events/stream) read with fetch, not EventSource: EventSource
 * cannot send an Authorization header, and the token must never go into a URL. Reconnects after a
 * drop with Last-Event-ID, so no event is missed; `onResync` when the server says it cannot resume.
 */
export interface StreamHandlers {
  onEvent(event: OrchestratorEvent): void;
  onResync(): void;
  onState(state: StreamState): void;
  onUnauthorized(): void;
}
export type StreamState = 'connecting' | 'live' | 'reconnecting';

interface Frame {
  id?: string;
  event?: string;
  data: string;
}

/** Splits SSE text into complete frames; returns the unfinished rest. */
export function parseFrames(buffer: string): { frames: Frame[]; rest: string } {
  const frames: Frame[] = [];
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const frame: Frame = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') frame.id = value;
      else if (field === 'event') frame.event = value;
      else if (field === 'data') data.push(value);
    }
    frame.data = data.join('\n');
    if (frame.event !== undefined || frame.data !== '') frames.push(frame);
  }
  return { frames, rest };
}

/** Follows the stream until `signal` aborts. */
export async function followEvents(
  token: string,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | null = null;
  let delay = 1000;
  while (!signal.aborted) {
    handlers.onState(lastId === null ? 'connecting' : 'reconnecting');
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'text/event-stream',
      };
      if (lastId !== null) headers['last-event-id'] = lastId;
      const response = await fetch('/api/v1/events/stream', {
        headers,
        signal,
        credentials: 'omit',
        cache: 'no-store',
        referrerPolicy: 'no-referrer',
      });
      if (response.status === 401) {
        handlers.onUnauthorized();
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      handlers.onState('live');
      // A fresh stream starts at the head: the caller re-reads the state it shows from here on.
      if (lastId === null) handlers.onResync();
      delay = 1000;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseFrames(buffer + value);
        buffer = parsed.rest;
        for (const frame of parsed.frames) {
          if (frame.id !== undefined) lastId = frame.id;
          if (frame.event === 'stream.resync') {
            handlers.onResync();
            continue;
          }
          try {
            handlers.onEvent(JSON.parse(frame.data) as OrchestratorEvent);
          } catch {
            // A frame that is not an event (never sent by the server) is skipped.
          }
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    handlers.onState('reconnecting');
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 15_000);
  }
}
