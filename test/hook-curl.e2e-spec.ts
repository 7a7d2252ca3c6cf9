import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeCurlHookCommand, findCurl } from '../src/hooks/cli/claude-code-curl-hook.js';
import type { AgentClient } from '../src/sdk/index.js';
import {
  claudeCodeSample as sample,
  hookActors,
  startClaimedTask,
  type ClaimedTask,
} from './support/claimed-task.js';
import { baseEnv, runCli, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const actors = hookActors('curl-hook');
const { agentToken } = actors;
const curl = findCurl();

/** Runs a hook command as Claude Code does: `/bin/sh -c`, the hook JSON on stdin. */
function runHook(command: string, stdin: string, env: Record<string, string> = {}) {
  const run = spawnSync('/bin/sh', ['-c', command], {
    input: stdin,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 20_000,
  });
  const decision = (() => {
    try {
      return (JSON.parse(run.stdout) as { hookSpecificOutput?: { permissionDecision?: string } })
        .hookSpecificOutput?.permissionDecision;
    } catch {
      return undefined;
    }
  })();
  return { status: run.status, decision, stderr: run.stderr };
}

describe('the curl command hook (hook claude-code-settings --hook curl)', () => {
  let claimed: ClaimedTask;
  let server: ServerProcess;
  let client: AgentClient;
  let dir: string;
  let tokenFile: string;
  let command: string;

  beforeAll(async () => {
    if (!curl) throw new Error('curl is not installed (scripts/ensure-test-deps.sh installs it)');
    dir = tempDir();
    tokenFile = join(dir, 'agent', 'phase-token.json');
    claimed = await startClaimedTask(actors, { title: 'curl hook', heartbeat: false, tokenFile });
    ({ server, client } = claimed);
    command = claudeCodeCurlHookCommand({ tokenFile, url: server.url, curl });
  });
  afterAll(async () => {
    await claimed?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the SDK keeps the headers beside the token file, mode 0600, with the current phase token', () => {
    const headers = `${tokenFile}.headers`;
    expect(statSync(headers).mode & 0o777).toBe(0o600);
    expect(readFileSync(headers, 'utf8')).toBe(
      `Authorization: Bearer ${agentToken}\nX-Phase-Token: ${client.phaseToken}\nContent-Type: application/json\n`,
    );
  });

  it('is what `hook claude-code-settings` prints by default', async () => {
    const printed = await runCli(
      ['hook', 'claude-code-settings', '--url', server.url, '--token-file', tokenFile],
      {
        env: baseEnv(),
      },
    );
    expect(printed.code).toBe(0);
    const settings = JSON.parse(printed.stdout) as {
      hooks: { PreToolUse: Array<{ matcher: string; hooks: Array<{ type: string; command: string }> }> };
    };
    expect(settings.hooks.PreToolUse[0]).toMatchObject({
      matcher: '*',
      hooks: [{ type: 'command', command }],
    });
    const refused = await runCli(['hook', 'claude-code-settings', '--url', 'file:///etc/passwd'], {
      env: baseEnv(),
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--url');
  });

  it('allows and denies by the phase policy, as the server decides', () => {
    expect(runHook(command, sample('read-source'))).toMatchObject({ status: 0, decision: 'allow' });
    expect(runHook(command, sample('write-test-file'))).toMatchObject({ status: 0, decision: 'deny' });
  });

  it('ignores a ~/.curlrc that would send the call elsewhere or make it pass', () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, '.curlrc'), 'url = "http://127.0.0.1:9/"\noutput = "/dev/null"\nfail-early\n');
    expect(runHook(command, sample('write-test-file'), { HOME: home, CURL_HOME: home })).toMatchObject({
      status: 0,
      decision: 'deny',
    });
  });

  it('blocks (exit 2) with a wrong access token, without a header file, and when the server is unreachable', async () => {
    const headers = `${tokenFile}.headers`;
    const good = readFileSync(headers, 'utf8');
    try {
      writeFileSync(
        headers,
        good.replace(agentToken, accessToken('agent', 'someone-else').slice(0, -4) + 'AAAA'),
      );
      expect(runHook(command, sample('read-source')).status).toBe(2);
      rmSync(headers);
      expect(runHook(command, sample('read-source')).status).toBe(2);
    } finally {
      writeFileSync(headers, good, { mode: 0o600 });
    }
    const closed = claudeCodeCurlHookCommand({ tokenFile, url: 'http://127.0.0.1:9', curl: curl! });
    const down = runHook(closed, sample('read-source'));
    expect(down.status).toBe(2);
    expect(down.stderr).toContain('curl');
  });

  it('the SDK removes the header file when the task ends, and the hook blocks from then on', async () => {
    await client.release();
    expect(() => statSync(`${tokenFile}.headers`)).toThrow(/ENOENT/);
    expect(() => statSync(tokenFile)).toThrow(/ENOENT/);
    expect(runHook(command, sample('read-source')).status).toBe(2);
  });
});
