import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handInAndApprove } from './support/approval.js';
import { api } from './support/api.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

interface Claimed {
  task: { id: string };
  phase_token: string;
}

describe('concurrent claims', () => {
  let server: ServerProcess;
  afterAll(() => disposeServer(server));

  it('50 parallel claims against 20 tasks hand out each task exactly once', async () => {
    server = await startServer();
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++)
      ids.add((await http.post<{ id: string }>('/api/v1/tasks', operator, { title: `t${i}` })).body.id);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        http.post<Claimed>('/api/v1/tasks/claim', accessToken('agent', `agent-${i}`), {}),
      ),
    );
    const claimed = results.filter((r) => r.status === 200).map((r) => r.body.task.id);
    expect(results.filter((r) => r.status === 204)).toHaveLength(30);
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed)).toEqual(ids);
  });
});

describe('idempotent transitions', () => {
  let server: ServerProcess;
  afterAll(() => disposeServer(server));

  it('a transition replayed with the same Idempotency-Key is applied once and answered identically', async () => {
    server = await startServer();
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const agent = accessToken('agent', 'agent-i');
    const { body: task } = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'idem' });
    const claim = (await http.post<Claimed>('/api/v1/tasks/claim', agent, {})).body;
    await handInAndApprove(http, agent, operator, {
      task_id: task.id,
      phase_token: claim.phase_token,
      artifacts: planArtifacts,
    });
    const request = {
      task_id: task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.phase_token,
      artifacts: planArtifacts,
    };
    const headers = { 'idempotency-key': 'move-1' };
    const [first, second] = await Promise.all([
      http.post<Record<string, unknown>>('/api/v1/tasks/transition', agent, request, headers),
      http.post<Record<string, unknown>>('/api/v1/tasks/transition', agent, request, headers),
    ]);
    const third = await http.post<Record<string, unknown>>(
      '/api/v1/tasks/transition',
      agent,
      request,
      headers,
    );
    for (const res of [first, second, third]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ allowed: true, phase: 'TDD' });
    }
    const strip = ({ new_token: _t, ...rest }: Record<string, unknown>) => rest;
    expect(strip(second.body)).toEqual(strip(first.body));
    expect(strip(third.body)).toEqual(strip(first.body));
    const detail = await http.get<{ history: Array<{ action: string }>; token_version: number }>(
      `/api/v1/tasks/${task.id}`,
      operator,
    );
    expect(detail.body.history.filter((h) => h.action === 'transitioned')).toHaveLength(1);
    // The replayed answer's token works: it carries the version the transition produced.
    const snapshot = await http.get('/api/v1/state/snapshot', agent, {
      'x-phase-token': third.body.new_token as string,
    });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({ current_phase: 'TDD' });

    const reused = await http.post(
      '/api/v1/tasks/transition',
      agent,
      { ...request, target_phase: 'PLAN' },
      headers,
    );
    expect(reused.status).toBe(409);
    expect(reused.body).toMatchObject({ code: 'idempotency_key_reused' });
  });
});

describe('crash safety of the file store', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it('every transition acknowledged before a SIGKILL is present after restart; a torn journal tail is reported', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const agents = Array.from({ length: 40 }, (_, i) => accessToken('agent', `crash-agent-${i}`));
    const tasks: string[] = [];
    for (let i = 0; i < agents.length; i++) {
      const { body } = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: `crash ${i}` });
      tasks.push(body.id);
    }
    const acknowledged = new Set<string>();
    const walkers = agents.map(async (agent) => {
      const claim = await http.post<Claimed>('/api/v1/tasks/claim', agent, {});
      if (claim.status !== 200) return;
      await handInAndApprove(http, agent, operator, {
        task_id: claim.body.task.id,
        phase_token: claim.body.phase_token,
        artifacts: planArtifacts,
      });
      const res = await http
        .post<{ allowed: boolean }>('/api/v1/tasks/transition', agent, {
          task_id: claim.body.task.id,
          current_phase: 'PLAN',
          target_phase: 'TDD',
          phase_token: claim.body.phase_token,
          artifacts: planArtifacts,
        })
        .catch(() => null);
      if (res?.status === 200 && res.body.allowed) acknowledged.add(claim.body.task.id);
    });
    // Kill while requests are in flight, once some transitions have been acknowledged.
    const deadline = Date.now() + 10_000;
    while (acknowledged.size < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    server.child.kill('SIGKILL');
    await Promise.allSettled(walkers);
    await server.exited;
    // A write cut short by the crash leaves half a line: replay must drop it and say so.
    appendFileSync(join(dir, '.orchestrator', 'state.json.journal'), '{"seq":999999,"ops":[{"op":"put_task"');

    expect(acknowledged.size).toBeGreaterThanOrEqual(10);
    server = await startServer({ dir });
    expect(server.logs.some((l) => l.level === 'warn' && String(l.msg).includes('journal_torn_tail'))).toBe(
      true,
    );
    const after = api(server.url);
    for (const id of acknowledged) {
      const task = await after.get<{ phase: string; artifacts: Record<string, unknown> }>(
        `/api/v1/tasks/${id}`,
        operator,
      );
      expect(task.status).toBe(200);
      expect(task.body.phase).toBe('TDD');
      expect(Object.keys(task.body.artifacts)).toContain('PLAN');
    }
    const health = await fetch(`${server.url}/health/ready`);
    expect(health.status).toBe(200);
    expect(readFileSync(join(dir, '.orchestrator', 'state.json'), 'utf8').length).toBeGreaterThan(0);
  });
});
