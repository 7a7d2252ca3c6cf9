import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { AgentClient } from '../src/sdk/index.js';
import { api } from './support/api.js';
import {
  claudeCodeSample as sample,
  hookActors,
  startClaimedTask,
  type ClaimedTask,
} from './support/claimed-task.js';
import { baseEnv, CLI, runCli, type ServerProcess, tempDir } from './support/server-process.js';
import { planArtifacts } from './fixtures/artifacts.js';

const HERE = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const REPO = resolve(HERE, '..');
/** The lean entry `hook claude-code-settings` installs. */
const HOOK_ENTRY = resolve(REPO, 'dist/hooks/cli/claude-code-hook.main.js');
const RECORD_MODULES = resolve(HERE, 'support/record-modules.mjs');
const actors = hookActors('hook');
const { operator, agentToken } = actors;

interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  output: {
    hookSpecificOutput: {
      hookEventName: string;
      permissionDecision: string;
      permissionDecisionReason: string;
    };
  };
}

interface RunOptions {
  /** Node flags before the CLI, e.g. to make the process crash. */
  nodeArgs?: string[];
  /** Leave stdin open (Claude Code never closing the pipe, or a crash while reading). */
  holdStdin?: boolean;
  /** With holdStdin: close it after this long. */
  endStdinAfterMs?: number;
  /** `entry` (default): the lean entry the settings install; `cli`: `orchestrator hook claude-code`. */
  via?: 'entry' | 'cli';
}

/** Runs the built hook as Claude Code would: the lean entry, or the `orchestrator` CLI's command. */
function runHook(
  stdin: string,
  env: Record<string, string>,
  args: string[] = [],
  options: RunOptions = {},
): Promise<HookRun> {
  return new Promise((resolveRun, reject) => {
    const command = options.via === 'cli' ? [CLI, 'hook', 'claude-code'] : [HOOK_ENTRY];
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...command, ...args], {
      env: baseEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hook did not exit in time: ${stdout}${stderr}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      let output: HookRun['output'];
      try {
        output = JSON.parse(stdout) as HookRun['output'];
      } catch {
        reject(new Error(`hook exited ${code} without a JSON decision: ${stdout}${stderr}`));
        return;
      }
      resolveRun({ code, stdout, stderr, output });
    });
    if (options.holdStdin) {
      child.stdin.write(stdin);
      if (options.endStdinAfterMs !== undefined)
        setTimeout(() => child.stdin.end(), options.endStdinAfterMs).unref();
    } else child.stdin.end(stdin);
  });
}

/** A stand-in server that answers every request with `status` and `body`. */
async function fakeServer(
  status: number,
  body: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const fake: Server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
    close: () => new Promise((r) => fake.close(() => r())),
  };
}

describe('orchestrator hook claude-code', () => {
  let claimed: ClaimedTask;
  let server: ServerProcess;
  let client: AgentClient;
  let env: Record<string, string>;
  const dir = tempDir();
  const tokenFile = join(dir, 'phase-token.json');

  beforeAll(async () => {
    claimed = await startClaimedTask(actors, { title: 'hook task', tokenFile });
    ({ server, client } = claimed);
    env = {
      ORCHESTRATOR_URL: server.url,
      ORCHESTRATOR_TOKEN: agentToken,
      ORCHESTRATOR_TOKEN_FILE: tokenFile,
    };
  });
  afterAll(() => claimed?.dispose());

  const expectDecision = async (name: string, decision: 'allow' | 'deny', phase: string) => {
    const run = await runHook(sample(name), env);
    expect(run.code).toBe(0);
    expect(run.output.hookSpecificOutput).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: decision,
    });
    expect(run.output.hookSpecificOutput.permissionDecisionReason).toContain(`phase ${phase}`);
    expect(run.output.hookSpecificOutput.permissionDecisionReason).toMatch(/rule /);
  };

  describe('in PLAN', () => {
    it.each(['read-source', 'grep-todo', 'glob-ts'])('allows %s', (name) =>
      expectDecision(name, 'allow', 'PLAN'),
    );
    it.each(['write-test-file', 'edit-test-file', 'multiedit-test-file', 'bash-npm-test'])(
      'denies %s',
      (name) => expectDecision(name, 'deny', 'PLAN'),
    );
  });

  describe('in TDD', () => {
    beforeAll(async () => {
      // Handed in (waits for the approval), approved, then moved.
      await client.requestTransition('TDD', planArtifacts).catch(() => undefined);
      await api(server.url).post(`/api/v1/tasks/${client.taskId}/gates/plan_approved/approve`, operator, {});
      await client.requestTransition('TDD', planArtifacts);
    });
    it.each(['write-test-file', 'edit-test-file', 'multiedit-test-file', 'bash-npm-test', 'read-source'])(
      'allows %s',
      (name) => expectDecision(name, 'allow', 'TDD'),
    );
    it.each(['write-source-file', 'edit-source-file', 'bash-curl'])('denies %s', (name) =>
      expectDecision(name, 'deny', 'TDD'),
    );
    it('reads the token file given by --token-file and the server from --url', async () => {
      const run = await runHook(sample('write-test-file'), { ORCHESTRATOR_TOKEN: agentToken }, [
        '--token-file',
        tokenFile,
        '--url',
        server.url,
      ]);
      expect(run.code).toBe(0);
      expect(run.output.hookSpecificOutput.permissionDecision).toBe('allow');
    });
  });

  it('denies a Claude Code tool without a workflow tool, unless the tool map names one', async () => {
    const denied = await runHook(sample('webfetch'), env);
    expect(denied.code).toBe(0);
    expect(denied.output.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(denied.output.hookSpecificOutput.permissionDecisionReason).toContain('WebFetch');
    const mapped = await runHook(sample('webfetch'), {
      ...env,
      ORCHESTRATOR_HOOK_TOOL_MAP: '{"WebFetch":"read_files"}',
    });
    expect(mapped.output.hookSpecificOutput.permissionDecisionReason).toContain('read_files');
  });

  it('audits and emits every denial of an unmapped tool (Task, TodoWrite, WebFetch)', async () => {
    for (const name of ['task', 'todowrite', 'webfetch']) {
      const run = await runHook(sample(name), env);
      expect(run.code).toBe(0);
      expect(run.output.hookSpecificOutput.permissionDecision).toBe('deny');
    }
    const http = api(server.url);
    const audit = await http.get<{ entries: Array<{ tool: string; decision: string; task_id: string }> }>(
      `/api/v1/audit/query?action=tool.authorize&success=false&task_id=${client.taskId}&limit=1000`,
      operator,
    );
    const deniedTools = audit.body.entries.filter((e) => e.decision === 'denied').map((e) => e.tool);
    expect(deniedTools).toEqual(expect.arrayContaining(['Task', 'TodoWrite', 'WebFetch']));
    const events = await http.get<{ events: Array<{ data: { tool: string; rule: string } }> }>(
      `/api/v1/events?type=tool.denied&task_id=${client.taskId}&limit=1000`,
      operator,
    );
    const emitted = events.body.events
      .filter((e) => e.data.rule === 'hooks.claude_code.unmapped_tool')
      .map((e) => e.data.tool);
    expect(emitted).toEqual(expect.arrayContaining(['Task', 'TodoWrite', 'WebFetch']));
  });

  const expectFailClosed = (run: HookRun, reason: RegExp) => {
    expect(run.code).toBe(2);
    expect(run.output.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(run.stderr).toMatch(reason);
  };

  it('fails closed on garbage stdin', async () => {
    expectFailClosed(await runHook('{"tool_name": "Read", tool_input', env), /not valid hook JSON/);
    expectFailClosed(await runHook('', env), /not valid hook JSON/);
    expectFailClosed(await runHook('[1,2]', env), /not a JSON object/);
  });

  it('fails closed without a token file', async () => {
    expectFailClosed(
      await runHook(sample('read-source'), { ...env, ORCHESTRATOR_TOKEN_FILE: join(dir, 'none.json') }),
      /ENOENT/,
    );
    const { ORCHESTRATOR_TOKEN_FILE: _unset, ...noFile } = env;
    expectFailClosed(await runHook(sample('read-source'), noFile), /no token file/);
  });

  it('fails closed without an access token or with a bad one', async () => {
    const { ORCHESTRATOR_TOKEN: _unset, ...noToken } = env;
    expectFailClosed(await runHook(sample('read-source'), noToken), /no access token/);
    expectFailClosed(
      await runHook(sample('read-source'), { ...env, ORCHESTRATOR_TOKEN: 'x.y.z' }),
      /invalid_token/,
    );
  });

  it('fails closed when the server is down', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expectFailClosed(
      await runHook(sample('read-source'), { ...env, ORCHESTRATOR_URL: `http://127.0.0.1:${port}` }),
      /cannot reach/,
    );
  });

  it('fails closed when the server does not answer within 5 s', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      expectFailClosed(
        await runHook(sample('read-source'), { ...env, ORCHESTRATOR_URL: url }),
        /cannot reach/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
  it('fails closed on a mistyped option instead of exiting 1', async () => {
    expectFailClosed(
      await runHook(sample('read-source'), env, ['--token-flie', tokenFile]),
      /unknown option/,
    );
  });

  // Crashes once the hook is running (its handlers are installed), as a bug in any library would.
  const whileRunning = (crash: string) =>
    `const t = setInterval(() => { if (process.listenerCount('uncaughtException') > 0) { clearInterval(t); ${crash} } }, 20)`;
  it.each([
    ['an uncaught exception', whileRunning('throw new Error("boom")'), /crashed: boom/],
    ['an unhandled rejection', whileRunning('Promise.reject(new Error("lost"))'), /crashed: lost/],
  ])('fails closed (exit 2) on %s', async (_name, code, reason) => {
    const crash = `data:text/javascript,${encodeURIComponent(code)}`;
    expectFailClosed(
      await runHook(sample('read-source'), env, [], { nodeArgs: ['--import', crash], holdStdin: true }),
      reason,
    );
  });

  it.each([
    ['a 500', 500, '{"statusCode":500,"code":"internal_error","message":"boom"}', /internal_error/],
    ['a 502 from a proxy', 502, '<html>Bad Gateway</html>', /502|Bad Gateway/],
    ['a 200 that is not a decision', 200, '{"allowed":"yes"}', /not a tool decision/],
    ['a 200 that is not JSON', 200, 'ok', /not a tool decision/],
    ['a redirect, which it does not follow', 307, '{"allowed":true}', /http_307/],
    ['more than 1 MiB', 200, `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`, /more than 1048576 bytes/],
  ])('fails closed when the server answers %s', async (_name, status, body, reason) => {
    const fake = await fakeServer(status, body);
    try {
      expectFailClosed(await runHook(sample('read-source'), { ...env, ORCHESTRATOR_URL: fake.url }), reason);
    } finally {
      await fake.close();
    }
  });

  it('fails closed for an unmapped tool when the server cannot record its denial', async () => {
    const fake = await fakeServer(
      503,
      '{"statusCode":503,"code":"audit_write_failed","message":"disk full"}',
    );
    try {
      expectFailClosed(
        await runHook(sample('task'), { ...env, ORCHESTRATOR_URL: fake.url }),
        /audit_write_failed/,
      );
      const allow = await fakeServer(200, '{"allowed":true}');
      try {
        expectFailClosed(
          await runHook(sample('task'), { ...env, ORCHESTRATOR_URL: allow.url }),
          /not a PreToolUse decision/,
        );
      } finally {
        await allow.close();
      }
    } finally {
      await fake.close();
    }
  });

  it('fails closed at once when the token file is a FIFO nobody writes', async () => {
    const fifo = join(dir, 'never-written.fifo');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    expectFailClosed(
      await runHook(sample('read-source'), { ...env, ORCHESTRATOR_TOKEN_FILE: fifo }),
      /not a regular file/,
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails closed within its 8 s deadline when slow stdin and a silent server add up to more', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      const run = runHook(sample('read-source'), { ...env, ORCHESTRATOR_URL: url }, [], {
        holdStdin: true,
        endStdinAfterMs: 4000,
      });
      expectFailClosed(await run, /no decision within 8000 ms/);
      expect(Date.now() - started).toBeLessThan(11_000);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  describe('the lean entry', () => {
    /** What one hook process loaded: our files and packages (ESM and CommonJS), and Node's internals. */
    const loadedBy = async (name: string, via: 'entry' | 'cli') => {
      const record = join(dir, `modules-${via}-${name}.txt`);
      const run = await runHook(sample(name), { ...env, RECORD_MODULES_FILE: record }, [], {
        nodeArgs: ['--import', RECORD_MODULES],
        via,
      });
      expect(run.code).toBe(0);
      const lines = readFileSync(record, 'utf8').split('\n');
      const files = lines.filter((l) => /^(esm|cjs) /.test(l)).map((l) => l.slice(4));
      const builtins = lines.filter((l) => l.startsWith('builtin ')).map((l) => l.slice(8));
      return { run, files, builtins };
    };

    // A hook runs before every tool call of every agent: loading the CLI, Nest, class-validator,
    // Ajv and YAML made each call cost 0.65-0.9 s, and fetch (undici) alone costs more than the rest.
    it.each(['read-source', 'webfetch'])(
      'decides %s loading no package and no fetch, only its own files',
      async (name) => {
        const { run, files, builtins } = await loadedBy(name, 'entry');
        expect(run.output.hookSpecificOutput.permissionDecision).toBe(name === 'webfetch' ? 'deny' : 'allow');
        // The recorder sees the hook's own modules, so an empty record cannot pass.
        expect(files).toEqual(
          expect.arrayContaining([expect.stringMatching(/\/hooks\/cli\/hook-http\.js$/)]),
        );
        expect(files.filter((f) => f.includes('/node_modules/'))).toEqual([]);
        expect(files.filter((f) => /\/dist\/(cli|server|config|workflow|auth|state)\//.test(f))).toEqual([]);
        expect(builtins.filter((b) => /undici|fetch/.test(b))).toEqual([]);
      },
    );

    it('is what the recorder tells apart from the whole CLI, which loads the packages', async () => {
      const { files } = await loadedBy('read-source', 'cli');
      const packages = files.filter((f) => f.includes('/node_modules/'));
      for (const name of [
        '@nestjs/common',
        'class-validator',
        'class-transformer',
        'ajv',
        'yaml',
        'commander',
      ])
        expect(packages).toEqual(expect.arrayContaining([expect.stringContaining(`/node_modules/${name}/`)]));
    });
  });

  describe('orchestrator hook claude-code (the CLI command)', () => {
    it('decides like the lean entry', async () => {
      const allowed = await runHook(sample('read-source'), env, [], { via: 'cli' });
      expect(allowed.code).toBe(0);
      expect(allowed.output.hookSpecificOutput.permissionDecision).toBe('allow');
      const unmapped = await runHook(sample('task'), env, [], { via: 'cli' });
      expect(unmapped.code).toBe(0);
      expect(unmapped.output.hookSpecificOutput.permissionDecision).toBe('deny');
    });

    it('fails closed on garbage stdin and a mistyped option', async () => {
      expectFailClosed(await runHook('[1,2]', env, [], { via: 'cli' }), /not a JSON object/);
      expectFailClosed(
        await runHook(sample('read-source'), env, ['--token-flie', tokenFile], { via: 'cli' }),
        /unknown option/,
      );
    });
  });

  it('prints settings that run this installation by absolute path, and they work (--hook node)', async () => {
    const printed = await runCli(
      ['hook', 'claude-code-settings', '--hook', 'node', '--token-file', tokenFile],
      {
        env: baseEnv(),
      },
    );
    expect(printed.code).toBe(0);
    const settings = JSON.parse(printed.stdout) as {
      hooks: { PreToolUse: Array<{ hooks: Array<{ command: string; timeout: number }> }> };
    };
    const { command, timeout } = settings.hooks.PreToolUse[0].hooks[0];
    expect(command.startsWith(`${process.execPath} ${HOOK_ENTRY} --token-file`)).toBe(true);
    expect(command).toMatch(/ \|\| exit 2$/);
    expect(timeout * 1000).toBeGreaterThan(8000);
    const run = (stdin: string, extra: Record<string, string> = {}) => {
      try {
        return {
          code: 0,
          stdout: execFileSync('/bin/sh', ['-c', command], {
            input: stdin,
            env: baseEnv({ ...env, ...extra }),
            encoding: 'utf8',
          }),
        };
      } catch (error) {
        return {
          code: (error as { status: number }).status,
          stdout: String((error as { stdout: unknown }).stdout),
        };
      }
    };
    const allowed = run(sample('read-source'));
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'allow' } });
    // Even a Node that is gone blocks: `|| exit 2`.
    const broken = command.replace(process.execPath, '/nonexistent/node');
    let status: number | null = null;
    try {
      execFileSync('/bin/sh', ['-c', broken], { input: sample('read-source'), stdio: 'pipe' });
    } catch (error) {
      status = (error as { status: number | null }).status;
    }
    expect(status).toBe(2);
  });
});

describe('instructions that run the hook', () => {
  const files = (dir: string): string[] =>
    readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && /\.(md|ya?ml|json|ts|mjs|sh|py|conf|service)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
  const instructionFiles = [
    join(REPO, 'README.md'),
    ...['docs', 'examples', 'deploy', 'k8s', 'clients'].flatMap(files),
  ];

  it('never resolve `orchestrator` through a package runner (npx, npm exec, dlx, bunx)', () => {
    const runner =
      /\b(?:npx|npm\s+exec|pnpm\s+dlx|yarn\s+dlx|bunx)\s+(?:-\S+\s+)*(?:@?[\w-]+\/)?(?:workflow-)?orchestrator\b/;
    const offending = instructionFiles.filter((f) => runner.test(readFileSync(f, 'utf8')));
    expect(offending).toEqual([]);
  });

  it('give Claude Code a command hook by absolute path that blocks when it cannot run', () => {
    const doc = readFileSync(join(REPO, 'docs/integrations/claude-code.md'), 'utf8');
    const commands = [...doc.matchAll(/"command":\s*"((?:[^"\\]|\\.)*)"/g)].map(
      (m) => JSON.parse(`"${m[1]}"`) as string,
    );
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      // The Node hook, or curl: both by absolute path.
      expect(command).toMatch(
        /^(?:\/\S+\/node \/\S+\/dist\/hooks\/cli\/claude-code-hook\.main\.js --token-file |\/\S+\/curl -q )/,
      );
      expect(command).toMatch(/ \|\| exit 2$/);
    }
  });
});
