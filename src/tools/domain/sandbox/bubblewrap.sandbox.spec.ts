import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { systemClock } from '../../../common/domain/clock.js';
import { commandEnvironment } from '../executors/bash.executor.js';
import { type CommandResult } from '../process-runner.js';
import { hostProcessesWith } from '../testing/host-processes.js';
import { failure, OUTSIDE_SECRET, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { type SandboxedCommand } from './command-sandbox.js';
import { openCommandSandbox } from './open-sandbox.js';
import { DEFAULT_SANDBOX_LIMITS } from './sandbox-settings.js';

const run = (
  ws: TempWorkspace,
  argv: string[],
  more: Partial<SandboxedCommand> = {},
): Promise<CommandResult> =>
  ws.sandbox.run({
    argv,
    cwd: ws.root,
    env: commandEnvironment(ws.root),
    timeoutMs: 20_000,
    maxOutputBytes: 1024 * 1024,
    network: false,
    gitWritable: false,
    ...more,
  });

/** Runs a CommonJS script written into the workspace; it prints one JSON line. */
async function probe(
  ws: TempWorkspace,
  script: string,
  more: Partial<SandboxedCommand> = {},
  args: string[] = [],
) {
  ws.file('probe.cjs', script);
  const result = await run(ws, ['node', 'probe.cjs', ...args], more);
  if (result.exit_code !== 0) throw new Error(`probe failed (${result.exit_code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('the bubblewrap sandbox', () => {
  let ws: TempWorkspace;
  beforeAll(async () => {
    ws = await tempWorkspace({ commands: 'bubblewrap' });
  });
  afterAll(() => ws.remove());

  it('shows no process of the host and no environment but its own: the server secret stays out', async () => {
    const secret = randomBytes(24).toString('hex');
    process.env.ORCHESTRATOR_JWT_SECRET = secret;
    try {
      // The needle arrives in two halves, so no command line inside holds it whole.
      const seen = await probe(
        ws,
        `const fs = require('fs');
         const needle = process.argv[2] + process.argv[3];
         const pids = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p));
         const leaks = [], commands = [];
         for (const pid of pids) {
           for (const file of ['environ', 'cmdline']) {
             let text = '';
             try { text = fs.readFileSync('/proc/' + pid + '/' + file, 'latin1'); } catch { continue; }
             if (text.includes(needle) || text.includes('ORCHESTRATOR_JWT_SECRET')) leaks.push(pid + '/' + file);
             if (file === 'cmdline') commands.push(text.split('\\0')[0]);
           }
         }
         console.log(JSON.stringify({ pids: pids.length, leaks, commands }));`,
        {},
        [secret.slice(0, 24), secret.slice(24)],
      );
      expect(seen.leaks).toEqual([]);
      // Its own pid 1 (bubblewrap), the limit helpers exec'd into node, and node itself: nothing of the host.
      expect(seen.pids).toBeLessThan(5);
      expect(JSON.stringify(seen.commands)).not.toMatch(/jest/);
    } finally {
      delete process.env.ORCHESTRATOR_JWT_SECRET;
    }
  });

  it('sees the system read-only, its workspace, a private /tmp and a generated /etc, and nothing else', async () => {
    const seen = await probe(
      ws,
      `const fs = require('fs');
       const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
       console.log(JSON.stringify({
         root: fs.readdirSync('/').sort(),
         etc: fs.readdirSync('/etc').sort(),
         passwd: fs.readFileSync('/etc/passwd', 'utf8'),
         outside: attempt(() => fs.readFileSync(process.argv[2])),
         writeUsr: attempt(() => fs.writeFileSync('/usr/planted', 'x')),
         writeRoot: attempt(() => fs.writeFileSync('/planted', 'x')),
         writeEtc: attempt(() => fs.writeFileSync('/etc/passwd', 'x')),
         writeTmp: attempt(() => fs.writeFileSync('/tmp/' + process.argv[3], 'x')),
         writeWorkspace: attempt(() => fs.writeFileSync('made-inside.txt', 'x')),
         uid: process.getuid(),
         capabilities: /CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1],
         noNewPrivs: /NoNewPrivs:\\s*(\\d)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1],
       }));`,
      {},
      [join(ws.outside, 'secret.txt'), 'sandbox-private-tmp-file'],
    );
    expect(seen.root).toEqual(expect.arrayContaining(['usr', 'etc', 'proc', 'dev', 'tmp']));
    expect(seen.root).not.toContain('root');
    expect(seen.root).not.toContain('home');
    expect(seen.etc).not.toContain('orchestrator');
    expect(seen.etc).not.toContain('shadow');
    expect(seen.passwd).toContain('agent:x:1000:1000');
    expect(seen).toMatchObject({
      outside: 'ENOENT',
      writeUsr: 'EROFS',
      writeRoot: 'EROFS',
      writeEtc: 'EROFS',
      writeTmp: 'ok',
      writeWorkspace: 'ok',
      uid: 1000,
      capabilities: '0000000000000000',
      noNewPrivs: '1',
    });
    expect(readFileSync(ws.path('made-inside.txt'), 'utf8')).toBe('x');
    expect(existsSync('/tmp/sandbox-private-tmp-file')).toBe(false);
    expect(readFileSync(join(ws.outside, 'secret.txt'), 'utf8')).toBe(OUTSIDE_SECRET);
  });

  it('keeps .git read-only unless the call may write it', async () => {
    mkdirSync(ws.path('.git/hooks'), { recursive: true });
    const script = `const fs = require('fs');
      try { fs.writeFileSync('.git/hooks/pre-commit', '#!/bin/sh\\nexit 0\\n'); console.log('{"hook":"written"}'); }
      catch (e) { console.log(JSON.stringify({ hook: e.code })); }`;
    expect(await probe(ws, script)).toEqual({ hook: 'EROFS' });
    expect(existsSync(ws.path('.git/hooks/pre-commit'))).toBe(false);
    expect(await probe(ws, script, { gitWritable: true })).toEqual({ hook: 'written' });
  });

  it('runs git without hooks and without global config', async () => {
    const git = (args: string[], more: Partial<SandboxedCommand> = {}) =>
      run(ws, ['git', '-C', 'repo', ...args], { gitWritable: true, ...more });
    mkdirSync(ws.path('repo'));
    expect((await git(['init', '-q'])).exit_code).toBe(0);
    ws.file('repo/.git/hooks/pre-commit', '#!/bin/sh\necho ran > ../hook-ran\n');
    chmodSync(ws.path('repo/.git/hooks/pre-commit'), 0o755);
    ws.file('.gitconfig', '[alias]\n  planted = !touch ../alias-ran\n');
    ws.file('repo/a.txt', 'a\n');
    expect((await git(['add', 'a.txt'])).exit_code).toBe(0);
    const commit = await git(['-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'x']);
    expect(commit).toMatchObject({ exit_code: 0 });
    expect(existsSync(ws.path('hook-ran'))).toBe(false);
    // HOME is the workspace, but its .gitconfig is not read.
    expect((await git(['planted'])).exit_code).not.toBe(0);
    expect(existsSync(ws.path('alias-ran'))).toBe(false);
  });

  describe('network', () => {
    let server: Server;
    let port: number;
    beforeAll(async () => {
      server = createServer((socket) => socket.end('hello from the host\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise((resolve) => server.close(resolve)));

    const connect = `const net = require('net');
      const s = net.connect(Number(process.argv[2]), '127.0.0.1');
      s.on('data', (d) => { console.log(JSON.stringify({ got: String(d).trim() })); s.destroy(); });
      s.on('error', (e) => console.log(JSON.stringify({ error: e.code })));`;

    it('reaches nothing on the host, not even its loopback', async () => {
      expect(await probe(ws, connect, {}, [String(port)])).toEqual({ error: 'ECONNREFUSED' });
    });

    it('shares the host network only when the call allows it', async () => {
      expect(await probe(ws, connect, { network: true }, [String(port)])).toEqual({
        got: 'hello from the host',
      });
    });
  });
});

describe('the sandbox limits', () => {
  let ws: TempWorkspace;
  beforeAll(async () => {
    ws = await tempWorkspace({
      commands: 'bubblewrap',
      sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, maxProcesses: 40, maxFileMb: 1, maxOpenFiles: 64 } },
    });
  });
  afterAll(() => ws.remove());

  it('stops a fork bomb at the process limit, kills all of it, and leaves this process responsive', async () => {
    let worstLag = 0;
    let last = Date.now();
    let peak = 0;
    const ticker = setInterval(() => {
      const now = Date.now();
      worstLag = Math.max(worstLag, now - last - 20);
      last = now;
      peak = Math.max(peak, hostProcessesWith('forkbomb_31337'));
    }, 20);
    const started = Date.now();
    try {
      const result = await run(
        ws,
        ['sh', '-c', 'forkbomb_31337() { forkbomb_31337 | forkbomb_31337 & }; forkbomb_31337; sleep 3'],
        {
          timeoutMs: 4000,
        },
      );
      expect(result.exit_code === 0 || result.timed_out).toBe(true);
    } finally {
      clearInterval(ticker);
    }
    expect(Date.now() - started).toBeLessThan(8000);
    // The limit counts the sandbox's own pid 1 and helpers too; the host saw no more than it.
    expect(peak).toBeGreaterThan(5);
    expect(peak).toBeLessThanOrEqual(42);
    expect(worstLag).toBeLessThan(1000);
    expect(hostProcessesWith('forkbomb_31337')).toBe(0);
  });

  it('stops a process over its memory or its CPU time', async () => {
    const small = await tempWorkspace({
      commands: 'bubblewrap',
      sandbox: { limits: { ...DEFAULT_SANDBOX_LIMITS, memoryMb: 256, cpuSeconds: 1 } },
    });
    try {
      const memory = await run(small, [
        'node',
        '-e',
        'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(16 * 1024 * 1024, 1)); console.log("allocated")',
      ]);
      expect(memory.exit_code).not.toBe(0);
      expect(memory.stdout).not.toContain('allocated');
      const started = Date.now();
      const cpu = await run(small, ['node', '-e', 'for (;;) {}'], { timeoutMs: 15_000 });
      // The sandbox's pid 1 reports a child killed by a signal as a shell does: 128 + its number.
      expect(cpu.timed_out).toBe(false);
      expect([128 + 24, 128 + 9]).toContain(cpu.exit_code); // SIGXCPU at the soft limit, SIGKILL at the hard
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await small.remove();
    }
  });

  it('caps the size of a written file and the open descriptors', async () => {
    const seen = await probe(
      ws,
      `const fs = require('fs');
       let big = 'ok', files = 'ok';
       try { fs.writeFileSync('big.bin', Buffer.alloc(2 * 1024 * 1024)); } catch (e) { big = e.code; }
       try { for (let i = 0; i < 100; i++) fs.openSync('probe.cjs', 'r'); } catch (e) { files = e.code; }
       console.log(JSON.stringify({ big, files }));`,
    );
    expect(seen).toEqual({ big: 'EFBIG', files: 'EMFILE' });
  });
});

describe('opening a sandbox', () => {
  it('refuses commands, saying why, when bubblewrap is not installed', async () => {
    const ws = await tempWorkspace();
    try {
      const sandbox = await openCommandSandbox({
        mode: 'bubblewrap',
        workspaceRoot: ws.root,
        privateDir: join(ws.base, 'private'),
        clock: systemClock,
        path: '/nonexistent',
        settings: { network: false, readOnlyPaths: [], limits: DEFAULT_SANDBOX_LIMITS },
      });
      expect(sandbox.status).toMatchObject({ mode: 'bubblewrap', available: false });
      expect(sandbox.status.reason).toMatch(/apt-get install bubblewrap/);
      const error = await failure(
        sandbox.run({
          argv: ['true'],
          cwd: ws.root,
          env: {},
          timeoutMs: 1000,
          maxOutputBytes: 1024,
          network: false,
          gitWritable: false,
        }),
      );
      expect(error).toMatchObject({ kind: 'unavailable', code: 'sandbox_unavailable' });
    } finally {
      await ws.remove();
    }
  });

  it('runs commands unconfined only when told to (tools.sandbox: none), and then they see the host', async () => {
    const ws = await tempWorkspace({ commands: 'none' });
    try {
      expect(ws.sandbox.status).toMatchObject({ mode: 'none', available: true });
      const result = await run(ws, ['cat', join(ws.outside, 'secret.txt')]);
      expect(result.stdout).toBe(OUTSIDE_SECRET);
    } finally {
      await ws.remove();
    }
  });
});
