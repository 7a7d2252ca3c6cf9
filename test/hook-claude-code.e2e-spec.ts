import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { AgentClient } from '../src/sdk/index.js';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  type ServerProcess,
  startServer,
  tempDir,
} from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

const HERE = import.meta.dirname ?? new URL('.', import.meta.url).pathname;
const FIXTURES = resolve(HERE, 'fixtures/claude-code');
/** Same command as `orchestrator hook claude-code` once registered in program.ts. */
const HOOK_CLI = join(FIXTURES, 'hook-cli.mjs');
const operator = accessToken('operator', 'hook-op');
const agentToken = accessToken('agent', 'hook-agent');

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

function sample(name: string): string {
  return readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
}

function runHook(stdin: string, env: Record<string, string>, args: string[] = []): Promise<HookRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [HOOK_CLI, 'hook', 'claude-code', ...args], {
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
      resolveRun({ code, stdout, stderr, output: JSON.parse(stdout) as HookRun['output'] });
    });
    child.stdin.end(stdin);
  });
}

describe('orchestrator hook claude-code', () => {
  let server: ServerProcess;
  let client: AgentClient;
  let env: Record<string, string>;
  const dir = tempDir();
  const tokenFile = join(dir, 'phase-token.json');

  beforeAll(async () => {
    server = await startServer();
    await api(server.url).post('/api/v1/tasks', operator, { title: 'hook task' });
    client = new AgentClient({
      baseUrl: server.url,
      agentId: 'hook-agent',
      accessToken: agentToken,
      tokenFile,
    });
    expect(await client.claimTask()).not.toBeNull();
    env = {
      ORCHESTRATOR_URL: server.url,
      ORCHESTRATOR_TOKEN: agentToken,
      ORCHESTRATOR_TOKEN_FILE: tokenFile,
    };
  });
  afterAll(async () => {
    await client?.close();
    await disposeServer(server);
  });

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
});
