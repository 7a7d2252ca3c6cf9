import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, hostProcessesWith } from '../src/tools/domain/testing/host-processes.js';
import { handInAndApprove } from './support/approval.js';
import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

/**
 * The attacks of a hostile agent holding a valid phase token, against a production-mode server
 * running the default workflow: in TDD it may write test files and run `node --test`, so it runs
 * arbitrary code. That code must find no secret, no state or audit file, no server process and no
 * network; nothing it starts may outlive the call; and the file tools must judge paths where they
 * land, through symlinks and hard links.
 */

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

interface Claimed {
  task: { id: string };
  phase_token: string;
}
interface Executed {
  result: Record<string, unknown>;
  code?: string;
  message?: string;
  path?: string;
  rule?: string;
}

/**
 * Both ways the server is deployed: as root (the kernel then ignores RLIMIT_NPROC, so a cgroup
 * limits processes) and as an unprivileged user (systemd, the Docker image, Kubernetes).
 */
const LAYOUTS: Array<[string, { uid: number; gid: number } | undefined]> =
  process.getuid?.() === 0
    ? [
        ['as root', undefined],
        ['as an unprivileged user', { uid: 65534, gid: 65534 }],
      ]
    : [['as this user', undefined]];

describe.each(LAYOUTS)('a hostile agent in TDD cannot leave the sandbox (server %s)', (_, user) => {
  const secret = randomBytes(32).toString('hex');
  const operator = accessToken('operator', 'op', { secret });
  const agent = accessToken('agent', 'hostile-agent', { secret });
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  let tdd: { task_id: string; phase_token: string };
  let workspace: string;
  let stateDir: string;

  beforeAll(async () => {
    server = await startServer({
      env: {
        NODE_ENV: 'production',
        ORCHESTRATOR_JWT_SECRET: secret,
        ORCHESTRATOR_TOOLS_SANDBOX_MAX_PROCESSES: '64',
        ORCHESTRATOR_TOOLS_COMMAND_TIMEOUT_SECONDS: '30',
      },
      user,
    });
    http = api(server.url);
    stateDir = join(server.dir, '.orchestrator');
    workspace = join(stateDir, 'workspace');
    // What an operator checked out before the agent came: owned by the server's user.
    for (const dir of ['.git', '.git/hooks', 'src']) mkdirSync(join(workspace, dir));
    writeFileSync(join(workspace, '.env'), 'DATABASE_PASSWORD=hunter2\n');
    if (user) {
      for (const path of ['.git', '.git/hooks', 'src', '.env'])
        chownSync(join(workspace, path), user.uid, user.gid);
    }
    await http.post('/api/v1/tasks', operator, { title: 'hostile' });
    const claim = await http.post<Claimed>('/api/v1/tasks/claim', agent, {});
    await handInAndApprove(http, agent, operator, {
      task_id: claim.body.task.id,
      phase_token: claim.body.phase_token,
      artifacts: planArtifacts,
    });
    const moved = await http.post<{ new_token: string }>('/api/v1/tasks/transition', agent, {
      task_id: claim.body.task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.body.phase_token,
      artifacts: planArtifacts,
    });
    expect(moved.status).toBe(200);
    tdd = { task_id: claim.body.task.id, phase_token: moved.body.new_token };
  });
  afterAll(() => disposeServer(server));

  const execute = (tool_name: string, args: Record<string, unknown>) =>
    http.post<Executed>('/api/v1/tools/execute', agent, { ...tdd, tool_name, args });

  /** What TDD allows: write a test file, run it with `node --test`; it reports to test/<name>.json. */
  async function runTestFile(name: string, body: string): Promise<Record<string, unknown>> {
    const file = `test/${name}.test.cjs`;
    const written = await execute('write_files', { path: file, content: body });
    expect(written.status).toBe(200);
    const ran = await execute('bash', { command: `node --test ${file}` });
    expect(ran.status).toBe(200);
    const report = join(workspace, 'test', `${name}.json`);
    if (!existsSync(report))
      throw new Error(`the test file reported nothing: ${JSON.stringify(ran.body.result)}`);
    return JSON.parse(readFileSync(report, 'utf8')) as Record<string, unknown>;
  }

  it('says at GET / that commands run in a bubblewrap sandbox', async () => {
    const status = await http.get<{ sandbox: Record<string, unknown> }>('/');
    expect(status.body.sandbox).toMatchObject({
      mode: 'bubblewrap',
      available: true,
      limits_scope: process.getuid?.() === 0 && !user ? 'cgroup' : 'rlimit',
    });
  });

  it('finds the secret nowhere: not in any process environment, command line or readable file', async () => {
    // The secret in two halves, joined at run time: the test file itself does not hold it.
    const half = secret.length / 2;
    const found = await runTestFile(
      'steal',
      `const fs = require('fs');
       const needles = [${JSON.stringify(secret.slice(0, half))} + ${JSON.stringify(secret.slice(half))},
                        'ORCHESTRATOR_' + 'JWT_SECRET'];
       const hit = (text) => needles.some((n) => text.includes(n));
       const report = { processes: 0, hits: [], files: 0 };
       for (const pid of fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p))) {
         report.processes++;
         for (const f of ['environ', 'cmdline']) {
           try { if (hit(fs.readFileSync('/proc/' + pid + '/' + f, 'latin1'))) report.hits.push('/proc/' + pid + '/' + f); } catch {}
         }
       }
       // Every readable file outside /proc, /sys and /dev (and /usr, the read-only Debian system,
       // which the server never writes: reading all of it would take minutes).
       const walk = (dir) => {
         let names = [];
         try { names = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
         for (const e of names) {
           const p = (dir === '/' ? '' : dir) + '/' + e.name;
           if (['/proc', '/sys', '/dev', '/usr'].includes(p)) continue;
           if (e.isDirectory()) walk(p);
           else if (e.isFile()) {
             try { const t = fs.readFileSync(p, 'latin1'); report.files++; if (hit(t)) report.hits.push(p); } catch {}
           }
         }
       };
       walk('/');
       fs.writeFileSync(__dirname + '/steal.json', JSON.stringify(report));`,
    );
    expect(found.hits).toEqual([]);
    expect(found.files).toBeGreaterThan(5);
    // bubblewrap's pid 1, node --test, the test file: none of the host's processes.
    expect(found.processes).toBeLessThan(8);
  });

  it('cannot read or write the state, journal or audit files, nor reach the server or any other address', async () => {
    const port = new URL(server.url).port;
    // Another address, still on this machine: a listener on every interface, reached by one of
    // the host's own addresses (the host itself can connect: the refusal below is the sandbox's).
    const listener = createServer((socket) => socket.end());
    await new Promise<void>((r) => listener.listen(0, '0.0.0.0', r));
    const otherPort = (listener.address() as { port: number }).port;
    const hostIp =
      Object.values(networkInterfaces())
        .flat()
        .find((a) => a?.family === 'IPv4' && !a.internal)?.address ?? '127.0.0.2';
    await new Promise<void>((resolveConnect, reject) =>
      connect(otherPort, hostIp).on('connect', resolveConnect).on('error', reject),
    );
    const targets = ['state.json', 'state.journal', 'audit.jsonl', 'dev-secret'].map((f) =>
      join(stateDir, f),
    );
    const found = await runTestFile(
      'reach',
      `const fs = require('fs'), net = require('net');
       const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
       const targets = ${JSON.stringify(targets)};
       const report = { read: {}, write: {}, connect: {} };
       for (const t of targets) {
         report.read[t] = code(() => fs.readFileSync(t));
         report.write[t] = code(() => fs.appendFileSync(t, 'tamp' + 'ered'));
       }
       const connect = (host, port) => new Promise((done) => {
         const s = net.connect({ host, port, timeout: 2000 });
         s.on('connect', () => { s.destroy(); done('connected'); });
         s.on('timeout', () => { s.destroy(); done('timeout'); });
         s.on('error', (e) => done(e.code));
       });
       (async () => {
         report.connect.server = await connect('127.0.0.1', ${port});
         report.connect.other = await connect(${JSON.stringify(hostIp)}, ${otherPort});
         report.connect.ipv6 = await connect('::1', ${port});
         fs.writeFileSync(__dirname + '/reach.json', JSON.stringify(report));
       })();`,
    );
    for (const t of targets) {
      expect([t, (found.read as Record<string, string>)[t]]).toEqual([t, 'ENOENT']);
      // A write there lands, if anywhere, in the sandbox's private /tmp (the workspace's parent
      // directories exist inside only as mount points): never in the server's file.
      if (existsSync(t)) expect([t, readFileSync(t, 'latin1').includes('tampered')]).toEqual([t, false]);
    }
    listener.close();
    expect(Object.values(found.connect as Record<string, string>)).not.toContain('connected');
    expect(found.connect).toMatchObject({ server: 'ECONNREFUSED' });
  });

  it('leaves no process behind, not even one that called setsid', async () => {
    await runTestFile(
      'linger',
      `const { spawn } = require('child_process');
       spawn('setsid', ['sleep', '45.678'], { detached: true, stdio: 'ignore' }).unref();
       require('fs').writeFileSync(__dirname + '/linger.json', '{}');`,
    );
    expect(await eventually(() => hostProcessesWith('45.678') === 0)).toBe(true);
  });

  it('stops a fork bomb at the process limit while the server keeps answering', async () => {
    let worst = 0;
    let failures = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const started = Date.now();
        const res = await fetch(`${server.url}/health/live`).catch(() => null);
        if (res?.status !== 200) failures++;
        worst = Math.max(worst, Date.now() - started);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const found = await runTestFile(
        'bomb',
        `const { spawnSync } = require('child_process');
         const r = spawnSync('sh', ['-c', 'bomb_4242() { bomb_4242 | bomb_4242 & }; bomb_4242; sleep 4'], { timeout: 8000 });
         require('fs').writeFileSync(__dirname + '/bomb.json', JSON.stringify({ status: r.status }));`,
      );
      expect(found).toHaveProperty('status');
    } finally {
      polling = false;
      await poll;
    }
    expect(failures).toBe(0);
    expect(worst).toBeLessThan(2000);
    expect(await eventually(() => hostProcessesWith('bomb_4242') === 0)).toBe(true);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('cannot write .git from a command: it is read-only in the sandbox', async () => {
    const found = await runTestFile(
      'githook',
      `const fs = require('fs');
       let hook;
       try { fs.writeFileSync('.git/hooks/pre-commit', '#!/bin/sh\\ncurl evil\\n', { mode: 0o755 }); hook = 'written'; }
       catch (e) { hook = e.code; }
       fs.writeFileSync(__dirname + '/githook.json', JSON.stringify({ hook }));`,
    );
    expect(found).toEqual({ hook: 'EROFS' });
    expect(existsSync(join(workspace, '.git', 'hooks', 'pre-commit'))).toBe(false);
  });

  describe('paths are judged where they land', () => {
    beforeAll(async () => {
      // Links an agent can plant from a test file: into src/, onto .env and .git, out to /etc.
      await runTestFile(
        'links',
        `const fs = require('fs');
         fs.symlinkSync('../src', 'test/srclink');
         fs.symlinkSync('../.env', 'test/envlink');
         fs.symlinkSync('../.git', 'test/gitlink');
         fs.symlinkSync('/etc', 'test/etc_link');
         fs.mkdirSync('test/real');
         fs.symlinkSync('real', 'test/alias');
         fs.writeFileSync(__dirname + '/links.json', '{}');`,
      );
    });

    it.each([
      ['test/srclink/evil.ts', 'src/evil.ts'],
      ['test/envlink', '.env'],
      ['test/gitlink/hooks/pre-commit', '.git/hooks/pre-commit'],
    ])('a write to %s, allowed as written, is denied naming %s', async (path, real) => {
      const res = await execute('write_files', { path, content: 'pwned' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'tool_forbidden', path: real });
      expect(res.body.message).toContain(`resolves to '${real}'`);
      expect(readFileSync(join(workspace, '.env'), 'utf8')).toBe('DATABASE_PASSWORD=hunter2\n');
      expect(existsSync(join(workspace, 'src', 'evil.ts'))).toBe(false);
      expect(existsSync(join(workspace, '.git', 'hooks', 'pre-commit'))).toBe(false);
    });

    it('the audit entry of such a denial says denied and names the real path', async () => {
      const res = await http.get<{ entries: Array<Record<string, unknown>> }>(
        `/api/v1/audit/query?task_id=${tdd.task_id}&action=tool.execute&limit=50`,
        operator,
      );
      const denial = res.body.entries.find((e) => String(e.reason).includes("resolves to 'src/evil.ts'"));
      expect(denial).toMatchObject({ decision: 'denied', success: false });
    });

    it('a write through a link that stays where the rules allow lands, and the answer names where', async () => {
      const res = await execute('write_files', { path: 'test/alias/a.test.ts', content: 'ok' });
      expect(res.status).toBe(200);
      expect(res.body.result).toMatchObject({ files: [{ path: 'test/real/a.test.ts' }] });
      const audit = await http.get<{ entries: Array<{ details: Record<string, unknown> }> }>(
        `/api/v1/audit/query?task_id=${tdd.task_id}&action=tool.execute&limit=1`,
        operator,
      );
      expect(audit.body.entries[0].details).toMatchObject({ paths: ['test/real/a.test.ts'] });
    });

    it('reading through a link out of the workspace is refused', async () => {
      const res = await execute('read_files', { path: 'test/etc_link/passwd' });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('path_outside_workspace');
    });

    it('a hard link to the state snapshot is refused for reading and writing', async () => {
      const snapshot = join(
        stateDir,
        existsSync(join(stateDir, 'state.json')) ? 'state.json' : 'audit.jsonl',
      );
      linkSync(snapshot, join(workspace, 'test', 'snapshot.test.json'));
      const before = readFileSync(snapshot);
      const read = await execute('read_files', { path: 'test/snapshot.test.json' });
      expect(read.status).toBe(403);
      expect(read.body.code).toBe('hard_link_refused');
      const write = await execute('write_files', { path: 'test/snapshot.test.json', content: '{}' });
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('hard_link_refused');
      expect(readFileSync(snapshot).subarray(0, before.length)).toEqual(before);
    });
  });
});

describe('writes under .git need the workflow to allow them', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const agent = accessToken('agent', 'git-agent');
  let claim: Claimed;

  beforeAll(async () => {
    server = await startServer({
      env: { ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/tools_workflow.yaml') },
    });
    http = api(server.url);
    await http.post('/api/v1/tasks', accessToken('operator', 'op'), { title: 'git' });
    claim = (await http.post<Claimed>('/api/v1/tasks/claim', agent, {})).body;
  });
  afterAll(() => disposeServer(server));

  it.each(['.git/hooks/pre-commit', '.git/config', 'vendor/lib/.git/hooks/post-checkout'])(
    'write_files %s is denied although the phase lets write_files write anywhere',
    async (path) => {
      const body = { task_id: claim.task.id, phase_token: claim.phase_token, tool_name: 'write_files' };
      const auth = await http.post<{ allowed: boolean; rule: string }>('/api/v1/tools/authorize', agent, {
        ...body,
        args: { path, content: 'x' },
      });
      expect(auth.body).toMatchObject({ allowed: false, rule: expect.stringContaining('allow_git_writes') });
      const res = await http.post<Executed>('/api/v1/tools/execute', agent, {
        ...body,
        args: { path, content: 'x' },
      });
      expect(res.status).toBe(403);
      expect(existsSync(join(server.dir, '.orchestrator', 'workspace', path))).toBe(false);
    },
  );
});

describe('fail closed', () => {
  let server: ServerProcess | undefined;
  afterEach(() => disposeServer(server));

  it('without bubblewrap, start-up says why and commands are refused with 503; file tools still work', async () => {
    server = await startServer({
      env: {
        PATH: '/nonexistent',
        ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/tools_workflow.yaml'),
      },
    });
    const logs = JSON.stringify(server.logs);
    expect(logs).toContain('sandbox_unavailable');
    expect(logs).toContain('apt-get install bubblewrap');
    const http = api(server.url);
    const agent = accessToken('agent', 'a');
    await http.post('/api/v1/tasks', accessToken('operator', 'op'), { title: 'x' });
    const claim = (await http.post<Claimed>('/api/v1/tasks/claim', agent, {})).body;
    const call = (tool_name: string, args: Record<string, unknown>) =>
      http.post<Executed>('/api/v1/tools/execute', agent, {
        task_id: claim.task.id,
        phase_token: claim.phase_token,
        tool_name,
        args,
      });
    const status = await http.get<{ sandbox: Record<string, unknown> }>('/');
    expect(status.body.sandbox).toMatchObject({ mode: 'bubblewrap', available: false });
    const command = await call('bash', { command: 'echo hi' });
    expect(command.status).toBe(503);
    expect(command.body).toMatchObject({ code: 'sandbox_unavailable' });
    expect((await call('write_files', { path: 'notes.txt', content: 'x' })).status).toBe(200);
  });

  it('tools.sandbox: none runs commands unconfined, and start-up says so as an error', async () => {
    server = await startServer({ env: { ORCHESTRATOR_TOOLS_SANDBOX: 'none' } });
    const line = server.logs.find((l) => String(l.msg).includes('UNCONFINED'));
    expect(line).toMatchObject({ level: 'error' });
    const status = await api(server.url).get<{ sandbox: Record<string, unknown> }>('/');
    expect(status.body.sandbox).toMatchObject({ mode: 'none' });
  });

  it('refuses to start when the workspace holds the state directory', async () => {
    const { runCli, tempDir, baseEnv } = await import('./support/server-process.js');
    const dir = tempDir();
    const result = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_TOOLS_WORKSPACE_ROOT: '.' }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/state\.state_file .* is inside tools\.workspace_root/);
  });
});
