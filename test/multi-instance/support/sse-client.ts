import { sleep } from './agents.js';

/** One Server-Sent Event as the stream framed it. */
export interface SseFrame {
  readonly id: number;
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** An open `/api/v1/events/stream`, read in the background. */
export interface SseClient {
  /** Every frame received so far, in arrival order (comments left out). */
  readonly frames: SseFrame[];
  /** Resolves once `until` holds for the frames, or throws after `timeoutMs` saying what came. */
  waitFor(until: (frames: readonly SseFrame[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Ends the stream; the server sees the client go. */
  close(): Promise<void>;
  /** Set if the stream ended on its own (the server closed it, or died). */
  readonly ended: () => boolean;
}

function parseFrame(block: string): SseFrame | null {
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(': ');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 2));
  }
  const data = fields.get('data');
  if (data === undefined) return null;
  return {
    id: Number(fields.get('id')),
    event: fields.get('event') ?? 'message',
    data: JSON.parse(data) as Record<string, unknown>,
  };
}

/** Opens the stream on `baseUrl`, resuming after `lastEventId` when given. */
export async function openStream(baseUrl: string, token: string, lastEventId?: number): Promise<SseClient> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const res = await fetch(`${baseUrl}/api/v1/events/stream`, { headers, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`event stream: ${res.status}`);
  const frames: SseFrame[] = [];
  let ended = false;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const reading = (async () => {
    let text = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const frame = parseFrame(text.slice(0, end));
          text = text.slice(end + 2);
          if (frame) frames.push(frame);
        }
      }
    } catch {
      // Aborted by close(), or the connection died with its server.
    } finally {
      ended = true;
    }
  })();
  return {
    frames,
    ended: () => ended,
    async waitFor(until, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!until(frames)) {
        if (Date.now() > deadline || ended) {
          throw new Error(
            `${what}: not seen on the stream within ${timeoutMs} ms${ended ? ' (the stream ended)' : ''}; ` +
              `${frames.length} frames, last ${JSON.stringify(frames.at(-1) ?? null)}`,
          );
        }
        await sleep(25);
      }
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}
