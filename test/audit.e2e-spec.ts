import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  TEST_SECRET,
  type ServerProcess,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import {
  completeArtifacts,
  implArtifacts,
  planArtifacts,
  reviewArtifacts,
  tddArtifacts,
} from './fixtures/artifacts.js';

interface Entry {
  seq: number;
  action: string;
  decision: string;
  success: boolean;
  actor: string;
  task_id: string | null;
  tool: string | null;
  request_id: string | null;
  duration_ms: number | null;
  blockers: unknown;
}

function auditText(dir: string): string {
  const auditDir = join(dir, '.orchestrator');
  return readdirSync(auditDir)
    .filter((f) => f.startsWith('audit.jsonl'))
    .map((f) => readFileSync(join(auditDir, f), 'utf8'))
    .join('');
}

describe('the audit trail of a full task', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const admin = accessToken('admin', 'root');
  const operator = accessToken('operator', 'op-audit');
  const agent = accessToken('agent', 'agent-audit');
  const secretArg = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2VjcmV0LXNpZ25hdHVyZQ';

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  it('records exactly one entry per decision, with request ids, and no token or secret text', async () => {
    const minted = await http.post<{ access_token: string }>('/api/v1/auth/tokens', admin, {
      role: 'agent',
      subject: 'minted',
    });
    const refreshed = await http.post<{ access_token: string }>(
      '/api/v1/auth/refresh',
      accessToken('operator', 'op-refresh'),
    );
    await http.post('/api/v1/auth/revoke', admin, { token: minted.body.access_token });
    await http.get('/api/v1/tasks', 'garbage-token');

    const { body: task } = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'audited' });
    const claim = await http.post<{ phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
      { 'x-request-id': 'req-claim-1' },
    );
    let token = claim.body.phase_token;
    const move = async (from: string, to: string, artifacts: object) => {
      const res = await http.post<{ allowed: boolean; new_token?: string }>(
        '/api/v1/tasks/transition',
        agent,
        {
          task_id: task.id,
          current_phase: from,
          target_phase: to,
          phase_token: token,
          artifacts,
        },
      );
      if (res.body.new_token) token = res.body.new_token;
      return res.body.allowed;
    };
    expect(await move('PLAN', 'TDD', planArtifacts)).toBe(false); // blocked: approval
    await http.post(`/api/v1/tasks/${task.id}/gates/plan_approved/approve`, operator, {});
    expect(await move('PLAN', 'TDD', planArtifacts)).toBe(true);
    const tool = (name: string, args: object) =>
      http.post('/api/v1/tools/authorize', agent, {
        task_id: task.id,
        phase_token: token,
        tool_name: name,
        args,
      });
    await tool('write_files', {
      path: 'tests/a.test.ts',
      content: `token=${secretArg}`,
      password: 'hunter2',
    });
    await tool('write_files', { path: 'src/a.ts', content: 'x' });
    await http.post('/api/v1/tools/execute', agent, {
      task_id: task.id,
      phase_token: token,
      tool_name: 'write_files',
      args: { path: 'tests/b.test.ts', content: 'ok' },
    });
    expect(await move('TDD', 'IMPL', tddArtifacts)).toBe(true);
    expect(await move('IMPL', 'REVIEW', implArtifacts)).toBe(true);
    expect(await move('REVIEW', 'COMPLETE', reviewArtifacts)).toBe(true);
    const done = await http.post<{ completed: boolean }>(`/api/v1/tasks/${task.id}/complete`, agent, {
      phase_token: token,
      artifacts: completeArtifacts,
    });
    expect(done.body.completed).toBe(true);

    const page = await http.get<{ entries: Entry[] }>('/api/v1/audit/query?limit=1000', operator);
    const entries = [...page.body.entries].reverse();
    const actions = entries.map((e) => `${e.action}:${e.decision}`);
    expect(actions).toEqual([
      'token.mint:allowed',
      'token.refresh:allowed',
      'token.revoke:allowed',
      'auth.failure:denied',
      'task.create:allowed',
      'task.claim:allowed',
      'task.transition:blocked',
      'task.approve:allowed',
      'task.transition:allowed',
      'tool.authorize:allowed',
      'tool.authorize:denied',
      'tool.execute:allowed',
      'task.transition:allowed',
      'task.transition:allowed',
      'task.transition:allowed',
      'task.complete:allowed',
    ]);
    expect(entries.find((e) => e.action === 'task.claim')?.request_id).toBe('req-claim-1');
    expect(entries.find((e) => e.action === 'task.transition' && e.decision === 'blocked')?.blockers).toEqual(
      expect.arrayContaining([expect.objectContaining({ check: 'approval_required' })]),
    );
    const executed = entries.find((e) => e.action === 'tool.execute');
    expect(executed).toMatchObject({ success: true, tool: 'write_files' });
    expect(typeof executed?.duration_ms).toBe('number');

    const files = auditText(server.dir);
    for (const secret of [
      TEST_SECRET,
      secretArg,
      'hunter2',
      minted.body.access_token,
      refreshed.body.access_token,
      token,
      agent,
      operator,
      admin,
    ]) {
      expect(files).not.toContain(secret);
    }
    expect(files).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./);

    const verify = await http.get<{ valid: boolean; entries: number }>('/api/v1/audit/verify', operator);
    expect(verify.body).toMatchObject({ valid: true, entries: entries.length });
    const stats = await http.get<{ total: number; by_action: Record<string, { total: number }> }>(
      '/api/v1/audit/stats',
      operator,
    );
    expect(stats.body.total).toBe(entries.length);
    expect(stats.body.by_action['task.transition'].total).toBe(5);
    const recent = await http.get<Entry[]>('/api/v1/audit/recent?count=2', operator);
    expect(recent.body.map((e) => e.action)).toEqual(['task.complete', 'task.transition']);
    expect((await http.get('/api/v1/audit/query', agent)).status).toBe(403);
  });
});

describe('audit tamper evidence, rotation and crashes', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('editing one byte of an old line is reported by /verify and `orchestrator audit verify`', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    for (let i = 0; i < 5; i++) await http.post('/api/v1/tasks', operator, { title: `t${i}` });
    const file = join(dir, '.orchestrator', 'audit.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2].replace('"t2"', '"t9"');
    writeFileSync(file, lines.join('\n'));
    const verify = await http.get<{ valid: boolean; first_broken: { seq: number; line: number } }>(
      '/api/v1/audit/verify',
      operator,
    );
    expect(verify.body.valid).toBe(false);
    expect(verify.body.first_broken).toMatchObject({ seq: 3, line: 3 });
    const cli = await runCli(['audit', 'verify'], { cwd: dir, env: baseEnv() });
    expect(cli.code).toBe(1);
    expect(`${cli.stdout}${cli.stderr}`).toMatch(/seq 3/);
    expect(`${cli.stdout}${cli.stderr}`).toMatch(/line 3/);
  });

  it('rotation under concurrent load keeps one valid chain across files', async () => {
    const dir = tempDir();
    server = await startServer({ dir, env: { ORCHESTRATOR_AUDIT_MAX_ENTRIES: '25' } });
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    await Promise.all(
      Array.from({ length: 120 }, (_, i) => http.post('/api/v1/tasks', operator, { title: `r${i}` })),
    );
    const files = readdirSync(join(dir, '.orchestrator')).filter((f) => f.startsWith('audit.jsonl'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    const verify = await http.get<{ valid: boolean; entries: number; checkpoints: number }>(
      '/api/v1/audit/verify',
      operator,
    );
    // 120 decisions plus the signed checkpoints written at each rotation.
    expect(verify.body).toMatchObject({ valid: true, signatures_checked: true });
    expect(verify.body.checkpoints).toBeGreaterThanOrEqual(4);
    expect(verify.body.entries - verify.body.checkpoints).toBe(120);
    const query = await http.get<{ entries: Entry[] }>(
      '/api/v1/audit/query?action=task.create&limit=1000',
      operator,
    );
    expect(new Set(query.body.entries.map((e) => e.seq)).size).toBe(120);
  });

  it('SIGKILL during a burst of tool calls loses no entry whose request got a 2xx', async () => {
    const dir = tempDir();
    server = await startServer({ dir });
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const agent = accessToken('agent', 'burst');
    await http.post('/api/v1/tasks', operator, { title: 'burst' });
    const claim = await http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    const acknowledged: string[] = [];
    let n = 0;
    const burst = Array.from({ length: 6 }, async () => {
      while (n < 100_000) {
        const id = `burst-${n++}`;
        const res = await http
          .post(
            '/api/v1/tools/authorize',
            agent,
            {
              task_id: claim.body.task.id,
              phase_token: claim.body.phase_token,
              tool_name: 'read_files',
              args: { paths: ['a'] },
            },
            { 'x-request-id': id },
          )
          .catch(() => null);
        if (!res) return;
        if (res.status === 200) acknowledged.push(id);
      }
    });
    const deadline = Date.now() + 10_000;
    while (acknowledged.length < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGKILL');
    await Promise.allSettled(burst);
    await server.exited;
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);

    server = await startServer({ dir });
    const after = api(server.url);
    const page = await after.get<{ entries: Entry[] }>(
      '/api/v1/audit/query?action=tool.authorize&limit=1000',
      operator,
    );
    const recorded = new Set(page.body.entries.map((e) => e.request_id));
    expect(acknowledged.filter((id) => !recorded.has(id))).toEqual([]);
    const verify = await after.get<{ valid: boolean }>('/api/v1/audit/verify', operator);
    expect(verify.body.valid).toBe(true);
  });
});

describe('one writer per audit log', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it('a second server with its own state but the same audit directory is refused with exit 2', async () => {
    const shared = join(tempDir(), 'audit');
    const env = (state: string) => ({
      ORCHESTRATOR_STATE_FILE: join(state, 'state.json'),
      ORCHESTRATOR_AUDIT_FILE: join(shared, 'audit.jsonl'),
    });
    server = await startServer({ env: env(tempDir()) });
    const second = await runCli(['serve'], { env: baseEnv(env(tempDir())) });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`Audit directory is locked by pid ${server.child.pid}`);
    expect(second.stderr).toContain(join(shared, 'orchestrator.lock'));
    // Released at shutdown: the next server may own it.
    expect(await server.stop()).toBe(0);
    server = await startServer({ env: env(tempDir()) });
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
  });
});
