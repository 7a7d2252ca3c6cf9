import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { accessToken } from './support/tokens.js';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';

/**
 * The runnable command blocks of docs/DEPLOYMENT.md outside systemd: health, metrics, config
 * precedence, and backup → tar → restore (with the state under a temp "/var/lib/orchestrator").
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const doc = readFileSync(join(ROOT, 'docs/DEPLOYMENT.md'), 'utf8');
const section = (title: string) => {
  const start = doc.indexOf(`## ${title}`);
  return doc.slice(start, doc.indexOf('\n## ', start + 1));
};
const operator = { authorization: `Bearer ${accessToken('operator', 'ops')}` };

let server: ServerProcess | undefined;
afterEach(() => disposeServer(server));

function stateEnv(dir: string): Record<string, string> {
  return { ORCHESTRATOR_STATE_FILE: join(dir, 'var-lib', 'state.json') };
}

describe('docs/DEPLOYMENT.md monitoring', () => {
  it('the health, status and metrics endpoints answer, and every metric named exists', async () => {
    server = await startServer();
    for (const path of ['/health', '/health/live', '/health/ready', '/']) {
      const res = await fetch(`${server.url}${path}`);
      expect([path, res.status]).toEqual([path, 200]);
    }
    // Creating and reading a task makes the labelled series appear.
    await fetch(`${server.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'metrics' }),
    });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    // The orchestrator_db_* series exist only with the postgres backend (test/postgres-backend.e2e-spec.ts).
    const named = [...section('Monitoring').matchAll(/`((?:http|orchestrator)_[a-z_]+)(?:\{[^}]*\})?`/g)]
      .map((m) => m[1]!)
      .filter((name) => !name.startsWith('orchestrator_db_'));
    expect(named.length).toBeGreaterThanOrEqual(10);
    for (const name of named) expect([name, metrics.includes(`# TYPE ${name} `)]).toEqual([name, true]);
  });
});

describe('docs/DEPLOYMENT.md configuration priority', () => {
  it('environment beats the config file, which beats the defaults', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'orchestrator.yaml'), 'server:\n  port: 8000\nlogging:\n  level: "INFO"\n');
    const r = await runCli(['config', 'show'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_SERVER_PORT: '9000' }),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/server\.port\s+9000\s+env ORCHESTRATOR_SERVER_PORT/);
    expect(r.stdout).toMatch(/logging\.level\s+"INFO"\s+file /);
    expect(r.stdout).toMatch(/server\.timeout\s+\S+\s+default/);
  });
});

describe('docs/DEPLOYMENT.md backup and recovery', () => {
  it('backup while running, tar, restore refused while running, restore after stop', async () => {
    expect(section('Backup and recovery')).toContain('state backup');
    const dir = tempDir();
    const env = stateEnv(dir);
    server = await startServer({ dir, env });
    const created = await fetch(`${server.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'survives a restore' }),
    });
    expect(created.status).toBe(201);
    const task = (await created.json()) as { id: string };

    const backup = join(dir, 'var-lib', 'backup.json');
    const b = await runCli(['state', 'backup', backup], { cwd: dir, env: baseEnv(env) });
    expect([b.code, b.stdout]).toEqual([0, expect.stringContaining('backed up 1 tasks')]);
    const archive = join(dir, 'orchestrator-state.tar.gz');
    const tar = spawnSync('tar', ['-czf', archive, '-C', join(dir, 'var-lib'), 'backup.json']);
    expect(tar.status).toBe(0);

    const refused = await runCli(['state', 'restore', backup], { cwd: dir, env: baseEnv(env) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('State directory is locked');
    expect(await server.stop()).toBe(0);

    // Restore into a fresh host: only the archive survives.
    const fresh = tempDir();
    const freshEnv = stateEnv(fresh);
    mkdirSync(join(fresh, 'restore'));
    expect(spawnSync('tar', ['-xzf', archive, '-C', join(fresh, 'restore')]).status).toBe(0);
    const r = await runCli(['state', 'restore', join(fresh, 'restore', 'backup.json')], {
      cwd: fresh,
      env: baseEnv(freshEnv),
    });
    expect([r.code, r.stdout]).toEqual([0, expect.stringContaining('restored 1 tasks')]);

    server = await startServer({ dir: fresh, env: freshEnv });
    const back = await fetch(`${server.url}/api/v1/tasks/${task.id}`, { headers: operator });
    expect(back.status).toBe(200);
    expect(((await back.json()) as { title: string }).title).toBe('survives a restore');
  });
});
