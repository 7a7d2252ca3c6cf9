import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { api } from './support/api.js';
import { baseEnv, disposeServer, type ServerProcess, startServer } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const OUT = resolve(ROOT, 'dist/.examples/examples');
const operator = accessToken('operator', 'example-op');
const agent = accessToken('agent', 'example-agent');

interface Entry {
  action: string;
  decision?: string;
  phase?: string;
  details?: Record<string, unknown>;
}

/** Runs an example to its end; `onLine` sees stdout as it comes (e.g. to approve a waiting gate). */
function runExample(
  name: string,
  env: Record<string, string>,
  onLine: (line: string) => void = () => undefined,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [resolve(OUT, `${name}.js`)], {
      env: baseEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      const text = d.toString();
      stdout += text;
      text.split('\n').filter(Boolean).forEach(onLine);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not finish: ${stdout}${stderr}`));
    }, 25_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('examples/seed-tasks and examples/agent against a live server', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    // What `npm run example:*` does first: compile the examples next to the build.
    const tsc = spawnSync(
      process.execPath,
      [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.examples.json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    server = await startServer();
  }, 60_000);
  afterAll(() => disposeServer(server));

  it('[seed] names the method and URL it could not reach, never the token', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const run = await runExample('seed-tasks', {
      ORCHESTRATOR_URL: `http://127.0.0.1:${port}`,
      ORCHESTRATOR_OPERATOR_TOKEN: operator,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `[seed] POST http://127.0.0.1:${port}/api/v1/tasks: cannot reach the orchestrator`,
    );
    expect(run.stderr).toContain('ECONNREFUSED');
    expect(run.stderr).not.toContain(operator);
  });

  it('exits 0 with a message when nothing is eligible', async () => {
    const run = await runExample('agent', {
      ORCHESTRATOR_URL: server.url,
      ORCHESTRATOR_TOKEN: accessToken('agent', 'idle'),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no eligible task');
  });

  it('seeds dependent tasks; the agent walks the first to completed, waiting for the plan approval', async () => {
    const http = api(server.url);
    const seeded = await runExample('seed-tasks', {
      ORCHESTRATOR_URL: server.url,
      ORCHESTRATOR_OPERATOR_TOKEN: operator,
    });
    expect(seeded.code).toBe(0);
    const tasks = seeded.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; dependencies: string[] });
    expect(tasks).toHaveLength(3);
    expect(tasks[1].dependencies).toEqual([tasks[0].id]);
    expect(tasks[2].dependencies).toEqual([tasks[1].id]);

    let approved: Promise<unknown> | undefined;
    const run = await runExample(
      'agent',
      {
        ORCHESTRATOR_URL: server.url,
        ORCHESTRATOR_TOKEN: agent,
        ORCHESTRATOR_APPROVAL_TIMEOUT_SECONDS: '20',
      },
      (line) => {
        // The operator in this test approves as soon as the agent says it waits.
        if (line.includes('waiting for operator approval') && !approved) {
          approved = http.post(`/api/v1/tasks/${tasks[0].id}/gates/plan_approved/approve`, operator, {
            comment: 'ok',
          });
        }
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(approved).toBeDefined();
    expect(run.stdout).toContain(`claimed ${tasks[0].id}`);
    expect(run.stdout).toMatch(/PLAN: read_files allowed, write_files src\/ denied/);
    expect(run.stdout).toContain(`completed ${tasks[0].id}: status completed`);

    const task = await http.get<{ status: string; phase: string }>(`/api/v1/tasks/${tasks[0].id}`, operator);
    expect(task.body).toMatchObject({ status: 'completed', phase: 'COMPLETE' });

    const audit = await http.get<{ entries: Entry[] }>(
      `/api/v1/audit/query?task_id=${tasks[0].id}&limit=1000`,
      operator,
    );
    const actions = audit.body.entries.map((e) => e.action).reverse();
    expect(actions).toContain('task.claim');
    expect(actions).toContain('tool.authorize');
    expect(actions[actions.length - 1]).toBe('task.complete');
    const allowedTransitions = audit.body.entries.filter(
      (e) => e.action === 'task.transition' && e.decision === 'allowed',
    );
    expect(allowedTransitions.map((e) => e.phase)).toHaveLength(4);
    expect(actions.filter((a) => a === 'task.transition').length).toBeGreaterThan(4);
  });

  it('with ORCHESTRATOR_OPERATOR_TOKEN set, approves its own plan gate, says so, and completes', async () => {
    const http = api(server.url);
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Self-approving demo',
      priority: 100,
    });
    expect(created.status).toBe(201);
    const run = await runExample('agent', {
      ORCHESTRATOR_URL: server.url,
      ORCHESTRATOR_TOKEN: agent,
      ORCHESTRATOR_OPERATOR_TOKEN: operator,
      // Without the self-approval the run would wait this long and fail.
      ORCHESTRATOR_APPROVAL_TIMEOUT_SECONDS: '3',
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`claimed ${created.body.id}`);
    expect(run.stdout).toMatch(/approving gate plan_approved myself with ORCHESTRATOR_OPERATOR_TOKEN/);
    expect(run.stdout).not.toContain('waiting for operator approval');
    expect(run.stdout).toContain(`completed ${created.body.id}: status completed`);
    const audit = await http.get<{ entries: Array<Entry & { actor: string }> }>(
      `/api/v1/audit/query?task_id=${created.body.id}&action=task.approve`,
      operator,
    );
    expect(audit.body.entries.map((e) => e.actor)).toContain('example-op');
  });
});
