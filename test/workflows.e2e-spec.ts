import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api } from './support/api.js';
import { disposeServer, runCli, startServer, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

describe('workflows over HTTP', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => disposeServer(server));

  it('lists the loaded workflows and shows one to operators', async () => {
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const list = await http.get<{ default_workflow: string; workflows: Array<{ name: string }> }>(
      '/api/v1/workflows',
      operator,
    );
    expect(list.status).toBe(200);
    expect(list.body.default_workflow).toBe('agent_workflow');
    const one = await http.get<{ phases: Array<{ id: string }> }>(
      '/api/v1/workflows/agent_workflow',
      operator,
    );
    expect(one.body.phases.map((p) => p.id)).toEqual(['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE']);
    expect((await http.get('/api/v1/workflows/nope', operator)).body).toMatchObject({
      statusCode: 404,
      code: 'workflow_not_found',
    });
    expect((await http.get('/api/v1/workflows', accessToken('agent', 'a'))).status).toBe(403);
  });

  it('reports the default workflow in GET / and as a readiness indicator', async () => {
    const status = (await (await fetch(`${server.url}/`)).json()) as { workflow: Record<string, unknown> };
    expect(status.workflow).toMatchObject({
      name: 'agent_workflow',
      version: '1.0',
      enforcement_mode: 'strict',
    });
    const health = (await (await fetch(`${server.url}/health/ready`)).json()) as {
      info: Record<string, unknown>;
    };
    expect(Object.keys(health.info)).toEqual(expect.arrayContaining(['workflow', 'state_store']));
  });
});

describe('tasks pinned to a workflow version that is no longer loaded', () => {
  let server: ServerProcess | undefined;
  afterAll(() => disposeServer(server));

  it('are not handed out by claim and stay queued; newer tasks are', async () => {
    const dir = tempDir();
    const file = join(dir, 'workflow.yaml');
    const original = readFileSync(join(ROOT, 'workflows/agent_workflow.yaml'), 'utf8');
    writeFileSync(file, original);
    const env = { ORCHESTRATOR_WORKFLOW_FILE: file };
    const operator = accessToken('operator', 'op');
    const agent = accessToken('agent', 'agent-1');
    server = await startServer({ dir, env });
    const old = await api(server.url).post<{ id: string }>('/api/v1/tasks', operator, { title: 'old' });
    expect(old.status).toBe(201);
    await server.stop();
    server = await startServer({ dir, env });
    expect(server.logs.map((l) => String(l.msg))).not.toContainEqual(expect.stringContaining('not loaded'));
    await server.stop();

    writeFileSync(file, original.replace(/^version: '1\.0'$/m, "version: '2.0'"));
    server = await startServer({ dir, env });
    // Start-up says so, with the stranded version and count.
    expect(server.logs.map((l) => l.msg)).toContainEqual(
      expect.stringContaining(
        '1 open tasks are pinned to workflow versions that are not loaded (agent_workflow 1.0: 1)',
      ),
    );
    const http = api(server.url);
    expect((await http.post('/api/v1/tasks/claim', agent, {})).status).toBe(204);
    expect((await http.get(`/api/v1/tasks/${old.body.id}`, operator)).body).toMatchObject({
      status: 'queued',
      workflow: { name: 'agent_workflow', version: '1.0' },
    });
    const fresh = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'new' });
    const claimed = await http.post<{ task: { id: string } }>('/api/v1/tasks/claim', agent, {});
    expect(claimed.status).toBe(200);
    expect(claimed.body.task.id).toBe(fresh.body.id);
  });
});

describe('workflow start-up and CLI', () => {
  it('an invalid workflow stops start-up with exit 2 and file:line:col problems', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'broken.yaml'),
      'name: broken\nversion: "1"\nphases:\n  - id: A\n  - id: A\ntransitions:\n  - from: A\n    to: B\n',
    );
    const r = await runCli(['serve'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        ORCHESTRATOR_WORKFLOW_FILE: 'broken.yaml',
        ORCHESTRATOR_SERVER_PORT: '0',
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.yaml:5:\d+/);
    expect(r.stderr).toMatch(/broken\.yaml:8:\d+/);
  });

  it('`workflow validate` exits 0 for the default workflow and 1 for a broken one', async () => {
    const ok = await runCli(['workflow', 'validate', join(ROOT, 'workflows/agent_workflow.yaml')]);
    expect(ok.code).toBe(0);
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: bad\nversion: "1"\nphases:\n  - id: A\n    gates:\n      - id: g\n        type: aproval\n        blockers: []\n',
    );
    const bad = await runCli(['workflow', 'validate', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/bad\.yaml:7:\d+/);
  });

  it('`workflow show` prints phases, tools and gates', async () => {
    const r = await runCli(['workflow', 'show', join(ROOT, 'workflows/agent_workflow.yaml')]);
    expect(r.code).toBe(0);
    for (const word of ['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE', 'plan_approved', 'git_commit'])
      expect(r.stdout).toContain(word);
  });
});

describe("a workflow in the earlier Python orchestrator's format", () => {
  const file = join(ROOT, 'test/fixtures/workflows/earlier_format_workflow.yaml');
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({ env: { ORCHESTRATOR_WORKFLOW_FILE: file } });
  });
  afterAll(() => disposeServer(server));

  it('validates with warnings and exit 0', async () => {
    const run = await runCli(['workflow', 'validate', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/unknown check 'tests_are_meaningful' \(severity warning\) is not enforced/);
    expect(run.stdout).toMatch(/approver 'orchestrator' names no one/);
  });

  it('starts, logging its warnings, and shows them over the API', async () => {
    const logged = server.logs
      .map((l) => String(l.msg ?? ''))
      .filter((m) => m.includes('Earlier Format Workflow'));
    expect(logged.join('\n')).toMatch(/earlier_format_workflow\.yaml:146:14: schemas_dir .* does not exist/);
    const http = api(server.url);
    const detail = await http.get<{ warnings: Array<{ line: number; message: string }> }>(
      `/api/v1/workflows/${encodeURIComponent('Earlier Format Workflow')}`,
      accessToken('operator', 'op'),
    );
    expect(detail.status).toBe(200);
    expect(detail.body.warnings).toContainEqual({
      line: 49,
      message: "unknown check 'tests_are_meaningful' (severity warning) is not enforced",
    });
  });

  it('walks a plan in its own format out of PLAN, approved by a human (any operator)', async () => {
    const http = api(server.url);
    const operator = accessToken('operator', 'op');
    const agent = accessToken('agent', 'py-agent');
    await http.post('/api/v1/tasks', operator, { title: 'earlier format' });
    const claim = await http.post<{ task: { id: string }; phase_token: string; phase: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.body.phase).toBe('PLAN');
    // Shaped by its schemas/plan.json and scope.json (inline in the file).
    const artifacts = {
      plan_document: {
        title: 'Add a login rate limiter',
        acceptance_criteria: [{ criterion: 'Six failed logins lock out', how_to_verify: 'test_lockout' }],
        implementation_steps: ['Count failures per account'],
        scope: { in_scope: ['login'], out_of_scope: ['signup'] },
      },
      scope_definition: { in_scope: ['login'], out_of_scope: ['signup'], constraints: ['no new deps'] },
    };
    const body = {
      task_id: claim.body.task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.body.phase_token,
      artifacts,
    };
    // Structured findings are in `blockers` today and move to `blocker_details` (blockers: strings).
    const waiting = await http.post<{
      allowed: boolean;
      blockers: Array<{ check: string }> | string[];
      blocker_details?: Array<{ check: string }>;
    }>('/api/v1/tasks/transition', agent, body);
    expect(waiting.body.allowed).toBe(false);
    const findings = (waiting.body.blocker_details ?? waiting.body.blockers) as Array<{ check: string }>;
    expect(findings.map((b) => b.check)).toEqual(['approval_required']);
    const approved = await http.post(
      `/api/v1/tasks/${claim.body.task.id}/gates/plan_approval/approve`,
      accessToken('operator', 'any-operator'),
      {},
    );
    expect(approved.status).toBe(200);
    const moved = await http.post<{ allowed: boolean; phase: string }>(
      '/api/v1/tasks/transition',
      agent,
      body,
    );
    expect(moved.body).toMatchObject({ allowed: true, phase: 'TDD' });
  });
});
