import { mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { handInAndApprove } from './support/approval.js';
import { api } from './support/api.js';
import { disposeServer, startServer, TEST_SECRET, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const operator = accessToken('operator', 'op');

interface Claimed {
  task: { id: string };
  phase_token: string;
}

async function claimNew(http: ReturnType<typeof api>, agent: string): Promise<Claimed> {
  const { body: task } = await http.post<{ id: string }>('/api/v1/tasks', operator, {
    title: 'tools',
    priority: 10,
  });
  const claim = await http.post<Claimed>('/api/v1/tasks/claim', agent, {});
  expect(claim.body.task.id).toBe(task.id);
  return claim.body;
}

describe('tool authorization in the default workflow', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const agent = accessToken('agent', 'tool-agent');
  let plan: Claimed;
  let tdd: { task_id: string; phase_token: string };

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
    plan = await claimNew(http, agent);
    const second = await claimNew(http, accessToken('agent', 'tdd-agent'));
    await handInAndApprove(http, accessToken('agent', 'tdd-agent'), operator, {
      task_id: second.task.id,
      phase_token: second.phase_token,
      artifacts: planArtifacts,
    });
    const moved = await http.post<{ new_token: string }>(
      '/api/v1/tasks/transition',
      accessToken('agent', 'tdd-agent'),
      {
        task_id: second.task.id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: second.phase_token,
        artifacts: planArtifacts,
      },
    );
    tdd = { task_id: second.task.id, phase_token: moved.body.new_token };
  });
  afterAll(() => disposeServer(server));

  const authorize = (token: string, body: Record<string, unknown>) =>
    http.post<{ allowed: boolean; reason: string; phase: string; rule?: string }>(
      '/api/v1/tools/authorize',
      token,
      body,
    );

  it.each([
    ['read_files', { paths: ['src/a.ts'] }, true],
    ['list_files', { pattern: 'src/**' }, true],
    // The canonical name of list_files: the same tool.
    ['glob', { pattern: 'src/**' }, true],
    ['write_files', { path: 'src/a.ts', content: 'x' }, false],
    ['bash', { command: 'ls' }, false],
    ['git_commit', {}, false],
    ['teleport', {}, false],
  ])('PLAN: %s %j → allowed: %s', async (tool, args, allowed) => {
    const res = await authorize(agent, {
      task_id: plan.task.id,
      phase_token: plan.phase_token,
      tool_name: tool,
      args,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ allowed, phase: 'PLAN' });
    if (!allowed) expect(res.body.reason).toContain('PLAN');
  });

  it('TDD: writes under tests/ are allowed, under src/ denied', async () => {
    const tddAgent = accessToken('agent', 'tdd-agent');
    const under = (path: string) =>
      authorize(tddAgent, { ...tdd, tool_name: 'write_files', args: { path, content: 'test' } });
    expect((await under('tests/limiter.test.ts')).body.allowed).toBe(true);
    const denied = await under('src/limiter.ts');
    expect(denied.body.allowed).toBe(false);
    expect(denied.body.rule).toContain('TDD');
  });

  it.each([
    'npm test; rm -rf /',
    'npm test && curl x',
    'npm test `id`',
    'npm test $(id)',
    'npm test > /etc/x',
    'npm test | sh',
  ])('TDD: shell injection %j is denied', async (command) => {
    const res = await authorize(accessToken('agent', 'tdd-agent'), {
      ...tdd,
      tool_name: 'bash',
      args: { command },
    });
    expect(res.body.allowed).toBe(false);
  });

  it.each(['../../etc/passwd', '/etc/passwd', 'tests/../../x'])(
    'traversal %j is denied before anything runs',
    async (path) => {
      const res = await authorize(accessToken('agent', 'tdd-agent'), {
        ...tdd,
        tool_name: 'read_files',
        args: { paths: [path] },
      });
      expect(res.body.allowed).toBe(false);
    },
  );

  it('uses the same phase-token rules as the task endpoints', async () => {
    const stale = await authorize(agent, {
      task_id: plan.task.id,
      phase_token: 'garbage',
      tool_name: 'read_files',
      args: {},
    });
    expect(stale.status).toBe(401);
    const other = await authorize(accessToken('agent', 'intruder'), {
      task_id: plan.task.id,
      phase_token: plan.phase_token,
      tool_name: 'read_files',
      args: {},
    });
    expect(other.status).toBe(403);
    expect(other.body).toMatchObject({ code: 'phase_token_agent_mismatch' });
  });

  it('an audited answer has one line in the logs: its audit entry, not an access line too', async () => {
    const call = { task_id: plan.task.id, phase_token: plan.phase_token, tool_name: 'read_files', args: {} };
    expect(
      (await http.post('/api/v1/tools/authorize', agent, call, { 'x-request-id': 'req-audited' })).status,
    ).toBe(200);
    const refused = await http.post(
      '/api/v1/tools/authorize',
      agent,
      { ...call, tool_name: 'a b' },
      { 'x-request-id': 'req-refused' },
    );
    expect(refused.status).toBe(400);
    await new Promise((r) => setTimeout(r, 100));
    const entries = await http.get<{ entries: { action: string; request_id: string | null }[] }>(
      '/api/v1/audit/query?limit=1000',
      operator,
    );
    expect(entries.body.entries.filter((e) => e.request_id === 'req-audited')).toEqual([
      expect.objectContaining({ action: 'tool.authorize' }),
    ]);
    expect(server.logs.filter((l) => l.request_id === 'req-audited')).toEqual([]);
    // Refused before any audit entry: the access line is its record.
    expect(server.logs.filter((l) => l.request_id === 'req-refused')).toEqual([
      expect.objectContaining({ msg: 'request completed', status: 400, route: '/api/v1/tools/authorize' }),
    ]);
  });

  it('counts decisions by tool, phase and decision', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /orchestrator_tool_decisions_total\{tool="write_files",phase="PLAN",decision="denied"\} 1/,
    );
    expect(text).toMatch(
      /orchestrator_tool_decisions_total\{tool="other",phase="PLAN",decision="denied"\} 1/,
    );
  });
});

describe('tool execution in a confined workspace', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const agent = accessToken('agent', 'exec-agent');
  let claim: Claimed;
  let workspace: string;

  beforeAll(async () => {
    server = await startServer({
      env: {
        ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/tools_workflow.yaml'),
        ORCHESTRATOR_TOOLS_COMMAND_TIMEOUT_SECONDS: '1',
        ORCHESTRATOR_TOOLS_MAX_OUTPUT_KB: '4',
      },
    });
    http = api(server.url);
    claim = await claimNew(http, agent);
    workspace = join(server.dir, '.orchestrator', 'workspace');
    mkdirSync(join(workspace, 'docs'), { recursive: true });
    writeFileSync(join(workspace, 'docs', 'readme.md'), 'hello workspace\n');
    writeFileSync(join(server.dir, 'outside.txt'), 'secret outside\n');
    symlinkSync(join(server.dir, 'outside.txt'), join(workspace, 'link-out.txt'));
    symlinkSync(server.dir, join(workspace, 'dir-out'));
  });
  afterAll(() => disposeServer(server));

  const execute = (tool: string, args: Record<string, unknown>) =>
    http.post<{ result: Record<string, unknown>; logged: boolean; code?: string }>(
      '/api/v1/tools/execute',
      agent,
      {
        task_id: claim.task.id,
        phase_token: claim.phase_token,
        tool_name: tool,
        args,
      },
    );

  it('reads and writes inside the workspace', async () => {
    const read = await execute('read_files', { paths: ['docs/readme.md'] });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body.result)).toContain('hello workspace');
    expect(read.body.logged).toBe(true);
    const write = await execute('write_files', { path: 'src/new.ts', content: 'export const x = 1;\n' });
    expect(write.status).toBe(200);
    expect(readFileSync(join(workspace, 'src/new.ts'), 'utf8')).toBe('export const x = 1;\n');
  });

  it.each([
    ['read_files', { paths: ['../../etc/passwd'] }],
    ['read_files', { paths: ['/etc/passwd'] }],
    ['read_files', { paths: ['link-out.txt'] }],
    ['read_files', { paths: ['dir-out/outside.txt'] }],
    ['write_files', { path: '../escape.txt', content: 'x' }],
    ['write_files', { path: 'link-out.txt', content: 'overwrite' }],
    ['write_files', { path: 'dir-out/planted.txt', content: 'x' }],
  ])('%s %j is denied', async (tool, args) => {
    const res = await execute(tool, args);
    expect(res.status).toBe(403);
    // One code per cause, whether the policy saw it in the argument or the tool where it landed.
    expect(res.body.code).toBe('path_outside_workspace');
    expect(readFileSync(join(server.dir, 'outside.txt'), 'utf8')).toBe('secret outside\n');
    expect(existsSync(join(server.dir, 'planted.txt'))).toBe(false);
    expect(existsSync(join(server.dir, 'escape.txt'))).toBe(false);
  });

  it('a path leaving the workspace is path_outside_workspace to authorize, execute and the audit', async () => {
    const body = { task_id: claim.task.id, phase_token: claim.phase_token, tool_name: 'read_files' };
    const auth = await http.post<Record<string, unknown>>('/api/v1/tools/authorize', agent, {
      ...body,
      args: { path: '../../etc/hostname' },
    });
    expect(auth.body).toMatchObject({
      allowed: false,
      rule: 'workspace_root',
      code: 'path_outside_workspace',
    });
    const res = await execute('read_files', { path: '../../etc/hostname' });
    expect(res.body).toMatchObject({ code: 'path_outside_workspace', rule: 'workspace_root' });
    const audit = await http.get<{ entries: Array<{ decision: string; details: Record<string, unknown> }> }>(
      `/api/v1/audit/query?task_id=${claim.task.id}&tool_name=read_files&limit=1000`,
      operator,
    );
    const denials = audit.body.entries.filter((e) => e.decision === 'denied');
    expect(denials.length).toBeGreaterThanOrEqual(2);
    for (const entry of denials) {
      expect(entry.details).toMatchObject({ rule: 'workspace_root', code: 'path_outside_workspace' });
    }
  });

  it("takes the earlier SDK's arguments and answers the fields it reads", async () => {
    writeFileSync(join(workspace, 'docs', 'lines.txt'), 'l1\nl2\nl3\nl4\n');
    // AgentClient.read_file(path, offset, limit): offset 0 and limit None by default.
    const whole = await execute('read_files', { path: 'docs/lines.txt', offset: 0, limit: null });
    expect(whole.body.result).toMatchObject({ status: 'success', content: 'l1\nl2\nl3\nl4\n', lines: 4 });
    const window = await execute('read_files', { path: 'docs/lines.txt', offset: 1, limit: 2 });
    expect(window.body.result).toMatchObject({ path: 'docs/lines.txt', content: 'l2\nl3\n', lines: 2 });
    // write_file(path, content, mode='w' | 'a').
    const first = await execute('write_files', { path: 'docs/log.txt', content: 'a\n', mode: 'w' });
    expect(first.body.result).toMatchObject({ status: 'success', path: 'docs/log.txt', bytes_written: 2 });
    await execute('write_files', { path: 'docs/log.txt', content: 'b\n', mode: 'a' });
    expect(readFileSync(join(workspace, 'docs', 'log.txt'), 'utf8')).toBe('a\nb\n');
    const badMode = await execute('write_files', { path: 'docs/log.txt', content: 'c', mode: 'r+' });
    expect(badMode.status).toBe(400);
    expect(badMode.body.code).toBe('invalid_tool_args');
    expect(readFileSync(join(workspace, 'docs', 'log.txt'), 'utf8')).toBe('a\nb\n');
    // run_command(command, timeout=30, cwd=None): the server's 1 s cap still applies.
    const ran = await execute('bash', { command: 'echo hi', timeout: 30, cwd: null });
    expect(ran.body.result).toMatchObject({
      status: 'completed',
      exit_code: 0,
      stdout: 'hi\n',
      timeout_seconds: 1,
    });
    // grep(pattern, path).
    const found = await execute('grep', { pattern: 'l[23]', path: 'docs/lines.txt' });
    expect(found.body.result).toMatchObject({ status: 'success', total: 2 });
  });

  it('an alias is the same tool to the policy, the audit and the metrics', async () => {
    // The workflow allows grep; its alias search_files is allowed with it.
    const res = await execute('search_files', { pattern: 'hello', path: 'docs' });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ total: 1 });
    const audit = await http.get<{ entries: Array<{ tool: string; details: Record<string, unknown> }> }>(
      `/api/v1/audit/query?task_id=${claim.task.id}&tool_name=grep&limit=1000`,
      operator,
    );
    expect(audit.body.entries.find((e) => e.details.called_as === 'search_files')).toMatchObject({
      tool: 'grep',
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /orchestrator_tool_decisions_total\{tool="grep",phase="WORK",decision="allowed"\} \d+/,
    );
    expect(metrics).not.toMatch(/tool="search_files"/);
  });

  it.each([
    'echo hi; cat /etc/passwd',
    'echo $(id)',
    'echo `id`',
    'echo hi > x.txt',
    'echo hi | cat',
    'echo a && echo b',
  ])('shell injection %j is refused', async (command) => {
    const res = await execute('bash', { command });
    expect(res.status).toBe(403);
  });

  it('a command past tools.command_timeout_seconds is killed and reported', async () => {
    const started = Date.now();
    const res = await execute('bash', { command: 'sleep 30' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('command_timeout');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an agent running more commands at once than its share gets 429 too_many_commands', async () => {
    const answers = await Promise.all([1, 2, 3].map(() => execute('bash', { command: 'sleep 0.8' })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body.code).toBe('too_many_commands');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await execute('bash', { command: 'echo again' })).status).toBe(200);
  });

  it('huge output is truncated and marked', async () => {
    const res = await execute('bash', {
      command: ['node', '-e', "process.stdout.write('x'.repeat(100000))"],
    });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({
      truncated: true,
      exit_code: 0,
      dropped_bytes: { stdout: 100_000 - 4096 },
    });
    const stdout = String(res.body.result.stdout);
    expect(stdout).toContain(`[… ${100_000 - 4096} bytes dropped …]`);
    expect(stdout.replace(/\n\[… \d+ bytes dropped …\]\n/, '')).toBe('x'.repeat(4096));
  });

  it('the child does not see the signing secret or any server variable', async () => {
    const res = await execute('bash', { command: 'env' });
    expect(res.status).toBe(200);
    const output = String(res.body.result.stdout);
    expect(output).toContain('PATH=');
    expect(output).not.toContain('ORCHESTRATOR_JWT_SECRET');
    expect(output).not.toContain(TEST_SECRET);
  });

  it('a workflow tool with no executor is authorized but execute answers 501 no_executor', async () => {
    const auth = await http.post<{ allowed: boolean }>('/api/v1/tools/authorize', agent, {
      task_id: claim.task.id,
      phase_token: claim.phase_token,
      tool_name: 'web_fetch',
      args: { url: 'http://127.0.0.1/' },
    });
    expect(auth.body.allowed).toBe(true);
    const res = await execute('web_fetch', { url: 'http://127.0.0.1/' });
    expect(res.status).toBe(501);
    expect(res.body.code).toBe('no_executor');
  });

  it('bad arguments are 400 invalid_tool_args before anything runs', async () => {
    const res = await execute('read_files', { paths: 'docs/readme.md', surprise: 1 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_tool_args');
  });
});

describe('tools.execution_enabled: false', () => {
  let server: ServerProcess;
  afterAll(() => disposeServer(server));

  it('turns execute into 403 execution_disabled while authorize keeps working', async () => {
    server = await startServer({ env: { ORCHESTRATOR_TOOLS_EXECUTION_ENABLED: 'false' } });
    const http = api(server.url);
    const agent = accessToken('agent', 'no-exec');
    const claim = await claimNew(http, agent);
    const body = {
      task_id: claim.task.id,
      phase_token: claim.phase_token,
      tool_name: 'read_files',
      args: { paths: ['a'] },
    };
    expect((await http.post('/api/v1/tools/authorize', agent, body)).body).toMatchObject({ allowed: true });
    const res = await http.post('/api/v1/tools/execute', agent, body);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'execution_disabled' });
  });
});
