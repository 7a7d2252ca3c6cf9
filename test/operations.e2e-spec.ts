import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './support/api.js';
import {
  disposeServer,
  runCli,
  startServer,
  tempDir,
  baseEnv,
  type ServerProcess,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const operator = accessToken('operator', 'op');

describe('per-subject rate limit', () => {
  let server: ServerProcess;
  afterAll(() => disposeServer(server));

  it('answers 429 with Retry-After once a subject exceeds security.rate_limit_per_minute, others unaffected', async () => {
    server = await startServer({ env: { ORCHESTRATOR_SECURITY_RATE_LIMIT_PER_MINUTE: '5' } });
    const http = api(server.url);
    const runaway = accessToken('agent', 'runaway');
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await http.post('/api/v1/tasks/claim', runaway, {})).status);
    expect(statuses.slice(0, 5)).toEqual([204, 204, 204, 204, 204]);
    const limited = await http.post('/api/v1/tasks/claim', runaway, {});
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'rate_limited' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await http.post('/api/v1/tasks/claim', accessToken('agent', 'calm'), {})).status).toBe(204);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});

describe('events', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('streams events as SSE and resumes after Last-Event-ID', async () => {
    server = await startServer();
    const http = api(server.url);
    const first = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'one' });
    const firstEvents = await http.get<{ events: Array<{ id: number }>; last_id: number }>(
      '/api/v1/events',
      operator,
    );
    const resumeFrom = firstEvents.body.last_id;

    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events/stream?type=task.created`, {
      headers: { authorization: `Bearer ${operator}`, 'last-event-id': String(resumeFrom - 1) },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      const deadline = Date.now() + 5000;
      while (!text.includes(needle) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    };
    await readUntil(first.body.id);
    expect(text).toContain(`id: ${resumeFrom}\n`);
    const second = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'two' });
    await readUntil(second.body.id);
    expect(text).toContain('event: task.created');
    expect(text).toMatch(new RegExp(`id: ${resumeFrom + 1}\\n`));
    controller.abort();
    expect(
      (
        await fetch(`${server.url}/api/v1/events/stream`, {
          headers: { authorization: `Bearer ${accessToken('agent', 'a')}` },
        })
      ).status,
    ).toBe(403);
  });

  it('with persistence on, events survive a restart and ids keep increasing', async () => {
    const dir = tempDir();
    const env = { ORCHESTRATOR_EVENT_ENABLE_EVENT_PERSISTENCE: 'true' };
    server = await startServer({ dir, env });
    let http = api(server.url);
    await http.post('/api/v1/tasks', operator, { title: 'persisted' });
    const before = await http.get<{ last_id: number }>('/api/v1/events', operator);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer({ dir, env });
    http = api(server.url);
    const after = await http.get<{ events: Array<{ id: number; type: string }> }>('/api/v1/events', operator);
    expect(after.body.events.map((e) => e.type)).toContain('task.created');
    await http.post('/api/v1/tasks', operator, { title: 'next' });
    const latest = await http.get<{ last_id: number }>('/api/v1/events', operator);
    expect(latest.body.last_id).toBeGreaterThan(before.body.last_id);
  });
});

describe('domain metrics', () => {
  let server: ServerProcess;
  afterAll(() => disposeServer(server));

  it('exposes orchestrator_* metrics that pass promtool', async () => {
    server = await startServer();
    const http = api(server.url);
    await http.post('/api/v1/tasks', operator, { title: 'm' });
    await http.post('/api/v1/tasks/claim', accessToken('agent', 'm-agent'), {});
    await http.post('/api/v1/tasks/claim', accessToken('agent', 'm-agent-2'), {});
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/orchestrator_tasks\{status="claimed"\} 1/);
    expect(text).toMatch(/orchestrator_claims_total\{result="claimed"\} 1/);
    expect(text).toMatch(/orchestrator_claims_total\{result="empty"\} 1/);
    expect(text).toContain('orchestrator_transitions_total');
    expect(text).toContain('orchestrator_leases_expired_total');
    expect(text).toMatch(
      /http_requests_total\{method="POST",route="\/api\/v1\/tasks\/claim",status="200"\} 1/,
    );
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`).toBe('');
  });
});

describe('state backup and restore', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('backs up a running server, refuses restore while it runs, restores after it stops', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const http = api(server.url);
    const kept = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'in the backup' });
    const backup = join(tempDir(), 'state-backup.json');
    const env = baseEnv();
    const made = await runCli(['state', 'backup', backup], { cwd: dir, env });
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('backed up 1 tasks');
    const later = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'after the backup' });

    const refused = await runCli(['state', 'restore', backup], { cwd: dir, env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(String(server.child.pid));

    expect(await server.stop('SIGTERM')).toBe(0);
    const restored = await runCli(['state', 'restore', backup], { cwd: dir, env });
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('the state.restore audit entry is in the audit log');
    server = await startServer({ dir });
    const again = api(server.url);
    expect((await again.get(`/api/v1/tasks/${kept.body.id}`, operator)).status).toBe(200);
    expect((await again.get(`/api/v1/tasks/${later.body.id}`, operator)).status).toBe(404);
    // Audited once: who, from which backup, and its digest.
    const digest = `sha256:${createHash('sha256').update(readFileSync(backup)).digest('hex')}`;
    const entries = (
      await again.get<{ entries: { actor: string; details: Record<string, unknown> }[] }>(
        '/api/v1/audit/query?action=state.restore',
        operator,
      )
    ).body.entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor).toMatch(/^cli:/);
    expect(entries[0]!.details).toMatchObject({ backup, digest, tasks: 1 });
  });

  it('a second server on the same state directory exits 2 naming the owner pid', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const second = await runCli(['serve'], { cwd: dir, env: baseEnv() });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(String(server.child.pid));
  });
});
