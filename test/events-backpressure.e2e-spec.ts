import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

/**
 * SSE backpressure: subscribers that never read cannot grow the server's memory; a dropped one
 * resumes with Last-Event-ID and misses nothing. Bounded: 30 loopback clients, 80 events.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const CLIENTS = 30;
const EVENTS = 80;
const EVENT_CHARS = 90_000;
const BUFFER_KB = 256;
/** Without the bound the clients would hold CLIENTS × EVENTS × 90 KB ≈ 210 MB (part in kernel buffers). */
const MAX_GROWTH_MB = 40;

const operator = accessToken('operator', 'op');
const agent = accessToken('agent', 'sse-agent');

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number.parseInt((line ?? '').replace(/\D+/g, ''), 10) / 1024;
}

/** A raw HTTP client that subscribes and then never reads (its socket is paused). */
function silentSubscriber(url: string, lastEventId?: number): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolveSocket, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(
        `GET /api/v1/events/stream?type=tool.denied HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${operator}\r\n` +
          (lastEventId === undefined ? '' : `Last-Event-ID: ${lastEventId}\r\n`) +
          '\r\n',
      );
      socket.pause();
      resolveSocket(socket);
    });
    socket.on('error', reject);
  });
}

/** Complete SSE frames' ids in what a client received. */
function idsIn(text: string): number[] {
  return [...text.matchAll(/^id: (\d+)\nevent: [^\n]+\ndata: [^\n]*\n\n/gm)].map((m) => Number(m[1]));
}

describe('SSE backpressure', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  let claim: { task: { id: string }; phase_token: string };

  beforeAll(async () => {
    server = await startServer({
      env: {
        ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/tools_workflow.yaml'),
        ORCHESTRATOR_EVENT_SSE_MAX_BUFFERED_KB: String(BUFFER_KB),
      },
    });
    http = api(server.url);
    await http.post('/api/v1/tasks', operator, { title: 'sse', priority: 1 });
    claim = (await http.post<typeof claim>('/api/v1/tasks/claim', agent, {})).body;
  });
  afterAll(() => disposeServer(server));

  /** One `tool.denied` event of ~90 KB: its reason names the refused command. */
  const publishLarge = async (i: number) => {
    const res = await http.post<{ allowed: boolean }>('/api/v1/tools/authorize', agent, {
      task_id: claim.task.id,
      phase_token: claim.phase_token,
      tool_name: 'bash',
      args: { command: `forbidden${i}${'x'.repeat(EVENT_CHARS)}` },
    });
    expect(res.body.allowed).toBe(false);
  };

  it('drops subscribers that never read, keeps memory bounded, and a dropped one resumes without loss', async () => {
    const pid = server.child.pid as number;
    const { body: before } = await http.get<{ last_id: number }>('/api/v1/events?limit=1&after=0', operator);
    const startId = before.last_id;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => silentSubscriber(server.url)));
    // Let the subscriptions land before publishing.
    await new Promise((r) => setTimeout(r, 500));
    const baseline = rssMb(pid);
    let peak = baseline;
    for (let i = 0; i < EVENTS; i++) {
      await publishLarge(i);
      peak = Math.max(peak, rssMb(pid));
    }
    await new Promise((r) => setTimeout(r, 500));
    peak = Math.max(peak, rssMb(pid));
    const dropped = server.logs.filter((l) => String(l.msg ?? '').includes('dropped a slow event stream'));
    expect(dropped.length).toBe(CLIENTS);
    expect(peak - baseline).toBeLessThan(MAX_GROWTH_MB);

    // The first client reads what reached it before it was dropped, then resumes after it.
    const first = clients[0];
    let received = '';
    first.setEncoding('utf8');
    first.on('data', (chunk: string) => (received += chunk));
    first.resume();
    await new Promise((r) => first.once('close', r));
    const seen = idsIn(received);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.length).toBeLessThan(EVENTS);
    for (const other of clients.slice(1)) other.destroy();

    const lastSeen = seen.at(-1) as number;
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events/stream?type=tool.denied`, {
      headers: { authorization: `Bearer ${operator}`, 'last-event-id': String(lastSeen) },
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let resumed = '';
    const { body: all } = await http.get<{ events: { id: number; type: string }[] }>(
      `/api/v1/events?type=tool.denied&after=${startId}&limit=1000`,
      operator,
    );
    const expected = all.events.map((e) => e.id);
    expect(expected.length).toBe(EVENTS);
    while (!idsIn(resumed).includes(expected.at(-1) as number)) {
      const { value, done } = await reader.read();
      if (done) break;
      resumed += decoder.decode(value, { stream: true });
    }
    controller.abort();
    expect([...seen, ...idsIn(resumed)]).toEqual(expected);

    // Closed clients leave nothing behind: memory comes back within the bound, plus the events
    // the server rightly keeps (its history holds all EVENTS, which the resumed client was sent).
    // RSS falls only as the collector runs, so poll for it (up to 5 s) instead of reading it once.
    const bound = MAX_GROWTH_MB + (EVENTS * EVENT_CHARS) / (1024 * 1024);
    let growth = rssMb(pid) - baseline;
    for (let waited = 0; growth >= bound && waited < 5000; waited += 250) {
      await new Promise((r) => setTimeout(r, 250));
      growth = rssMb(pid) - baseline;
    }
    expect(growth).toBeLessThan(bound);
  });
});
