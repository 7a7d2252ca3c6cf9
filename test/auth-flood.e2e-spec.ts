import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './support/api.js';
import { disposeServer, type ServerProcess, startServer, tempDir } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

interface Entry {
  seq: number;
  action: string;
  actor: string;
  details: { count?: number; codes?: Record<string, number>; source?: string; window_start?: string };
}

const JUNK_REQUESTS = 7000;
const CONCURRENCY = 32;

/** Sends `total` requests with junk bearer tokens to loopback, `CONCURRENCY` at a time. */
async function flood(
  url: string,
  total: number,
): Promise<{ statuses: Map<number, number>; retryAfter: boolean }> {
  const statuses = new Map<number, number>();
  let retryAfter = false;
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const res = await fetch(`${url}/api/v1/tasks`, {
        headers: { authorization: `Bearer junk.token.${i}` },
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 429 && Number(res.headers.get('retry-after')) >= 1) retryAfter = true;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { statuses, retryAfter };
}

function auditLines(dir: string): Entry[] {
  const auditDir = join(dir, '.orchestrator');
  return readdirSync(auditDir)
    .filter((f) => f.startsWith('audit') && f.includes('jsonl'))
    .flatMap((f) => readFileSync(join(auditDir, f), 'utf8').split('\n'))
    .flatMap((line) => {
      try {
        const value = JSON.parse(line) as Partial<Entry>;
        return typeof value.seq === 'number' && typeof value.action === 'string' ? [value as Entry] : [];
      } catch {
        return [];
      }
    });
}

describe('a flood of refused credentials', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));
  const operator = accessToken('operator', 'real-operator');
  const admin = accessToken('admin', 'root');

  it(`${JUNK_REQUESTS} junk-token requests cannot rotate a real entry out of 1 MB × 2 files`, async () => {
    server = await startServer({
      env: {
        ORCHESTRATOR_AUDIT_ROTATE_SIZE_MB: '1',
        ORCHESTRATOR_AUDIT_RETAIN_FILES: '2',
        ORCHESTRATOR_SECURITY_AUTH_FAILURE_WINDOW_SECONDS: '2',
      },
    });
    const http = api(server.url);
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'the real one' });
    expect(created.status).toBe(201);
    const before = (await http.get<{ last_seq: number }>('/api/v1/audit/stats', admin)).body.last_seq;

    const started = Date.now();
    const { statuses, retryAfter } = await flood(server.url, JUNK_REQUESTS);
    const floodMs = Date.now() - started;
    // Windows end every 2 s; wait for the last one to be summarized.
    await new Promise((r) => setTimeout(r, 3500));
    const after = (await http.get<{ last_seq: number }>('/api/v1/audit/stats', admin)).body.last_seq;
    const windows = Math.ceil((Date.now() - started) / 2000) + 1;
    process.stdout.write(
      `flood: ${JUNK_REQUESTS} requests in ${floodMs} ms, audit grew by ${after - before} entries\n`,
    );

    const query = await http.get<{ entries: Entry[] }>(
      `/api/v1/audit/query?action=task.create&limit=10`,
      operator,
    );
    expect(query.body.entries.map((e) => e.actor)).toContain('real-operator');
    const verify = await http.get<{ valid: boolean; starts_after_seq: number }>(
      '/api/v1/audit/verify',
      admin,
    );
    expect(verify.body).toMatchObject({ valid: true, starts_after_seq: 0 });
    // A few entries per window (the burst of 5 and one summary), not one per request.
    expect(after - before).toBeLessThanOrEqual(windows * 6 + 10);

    // The first refusals of the minute are 401; the rest are 429 with Retry-After.
    expect(statuses.get(401)).toBeGreaterThanOrEqual(1);
    // 60 a minute with bursts of 60: the burst plus one a second while the flood lasts.
    expect(statuses.get(401)).toBeLessThanOrEqual(60 + Math.ceil(floodMs / 1000) + CONCURRENCY);
    expect(statuses.get(429)).toBe(JUNK_REQUESTS - (statuses.get(401) ?? 0));
    expect(retryAfter).toBe(true);
    // A valid token from the same address is not held back by the flood.
    expect((await http.get('/api/v1/tasks', operator)).status).toBe(200);

    // Every refusal is accounted for: written one by one or counted in a summary.
    const entries = auditLines(server.dir).filter((e) => e.seq > before);
    const single = entries.filter((e) => e.action === 'auth.failure').length;
    const summaries = entries.filter((e) => e.action === 'auth.failure.summary');
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(single + summaries.reduce((n, e) => n + e.details.count!, 0)).toBe(JUNK_REQUESTS);
    expect(summaries[0]!.details).toMatchObject({ source: '127.0.0.1', window_start: expect.any(String) });
    expect(Object.keys(summaries[0]!.details.codes!).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(invalid_token|rate_limited)$/)]),
    );
  }, 120_000);

  it('writes the pending summary at shutdown', async () => {
    const dir = tempDir();
    server = await startServer({ dir, env: { ORCHESTRATOR_SECURITY_AUTH_FAILURE_WINDOW_SECONDS: '3600' } });
    const { statuses } = await flood(server.url, 25);
    expect(statuses.get(401)).toBe(25);
    expect(await server.stop('SIGTERM')).toBe(0);
    const entries = auditLines(dir);
    expect(entries.filter((e) => e.action === 'auth.failure')).toHaveLength(5);
    const summary = entries.find((e) => e.action === 'auth.failure.summary');
    expect(summary?.details).toMatchObject({ count: 20, codes: { invalid_token: 20 }, source: '127.0.0.1' });
  });
});
