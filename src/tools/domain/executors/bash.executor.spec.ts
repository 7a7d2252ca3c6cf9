import { existsSync } from 'node:fs';
import { eventually, hostProcessesWith } from '../testing/host-processes.js';
import { failure, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { type CommandResult } from '../process-runner.js';
import { commandEnvironment } from './bash.executor.js';

describe('bash', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({ commandTimeoutSeconds: 1, maxOutputKb: 1, commands: 'bubblewrap' });
    ws.file('sub/file.txt', 'hello from sub\n');
  });
  afterEach(() => ws.remove());

  const run = async (command: unknown, options: { allowShellOperators?: boolean } = {}, cwd?: string) =>
    (await ws.registry.execute('bash', cwd === undefined ? { command } : { command, cwd }, options))
      .result as CommandResult;

  it('runs a program without a shell, honouring quotes', async () => {
    const result = await run(`printf '%s|' 'a;b' "c d" e\\ f`);
    expect(result).toMatchObject({
      exit_code: 0,
      signal: null,
      stdout: 'a;b|c d|e f|',
      stderr: '',
      timed_out: false,
    });
    expect(result.truncated).toBe(false);
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it('runs an argv list as given', async () => {
    expect((await run(['printf', '%s', '$(id); `id` > x'])).stdout).toBe('$(id); `id` > x');
  });

  it('runs in the workspace root, or a sub-directory of it', async () => {
    expect((await run('pwd')).stdout).toBe(`${ws.root}\n`);
    expect((await run('cat file.txt', {}, 'sub')).stdout).toBe('hello from sub\n');
    expect(await failure(run('pwd', {}, '../outside'))).toMatchObject({ code: 'path_outside_workspace' });
    expect(await failure(run('pwd', {}, 'sub/file.txt'))).toMatchObject({ code: 'tool_failed' });
  });

  it("takes the earlier SDK's arguments: cwd null, a timeout that shortens the cap only", async () => {
    const call = (args: Record<string, unknown>) => ws.registry.execute('bash', { command: 'pwd', ...args });
    expect((await call({ cwd: null, timeout: 30 })).result).toMatchObject({
      status: 'completed',
      exit_code: 0,
      stdout: `${ws.root}\n`,
      // Asked for 30 s; the server's cap (1 s here) wins.
      timeout_seconds: 1,
    });
    const started = Date.now();
    const slow = await failure(ws.registry.execute('bash', { command: 'sleep 5', timeout: 0.3 }));
    expect(slow).toMatchObject({ code: 'command_timeout', message: expect.stringMatching(/0\.3 s/) });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('reports a non-zero exit and a missing program as results, like a shell', async () => {
    expect(await run('echo oops >&2; exit 3', { allowShellOperators: true })).toMatchObject({
      exit_code: 3,
      stderr: 'oops\n',
    });
    expect(await run(['sh', '-c', 'exit 4'])).toMatchObject({ exit_code: 4 });
    expect(await run('no-such-program --flag')).toMatchObject({
      exit_code: 127,
      stderr: 'no-such-program: command not found\n',
    });
  });

  it('refuses `echo $HOME;id` rather than expanding or printing it', async () => {
    const error = await failure(run('echo $HOME;id'));
    expect(error).toMatchObject({ kind: 'forbidden', code: 'shell_operator_not_allowed' });
  });

  it.each([
    ['npm test; rm -rf /'],
    ['touch pwned && echo'],
    ['touch pwned || echo'],
    ['echo `touch pwned`'],
    ['echo $(touch pwned)'],
    ['echo "$(touch pwned)"'],
    ['echo a > pwned'],
    ['echo a | tee pwned'],
    ['echo a & touch pwned'],
    ['echo a\ntouch pwned'],
    ['cat < /etc/passwd'],
    ['echo ${PATH}'],
    ['ls *.txt'],
    ['echo a #; touch pwned'],
  ])('refuses %j without a shell, and nothing runs', async (command) => {
    const error = await failure(run(command));
    expect(error).toMatchObject({ kind: 'forbidden', code: 'shell_operator_not_allowed' });
    expect(existsSync(ws.path('pwned'))).toBe(false);
  });

  it('looks inside `sh -c` scripts too, as the policy does', async () => {
    expect(await failure(run(`sh -c 'echo a; touch pwned'`))).toMatchObject({
      code: 'shell_operator_not_allowed',
    });
    expect(await failure(run(['bash', '-c', 'echo a && touch pwned']))).toMatchObject({
      code: 'shell_operator_not_allowed',
    });
    expect(existsSync(ws.path('pwned'))).toBe(false);
  });

  it('refuses arguments and redirections that leave the workspace, even with operators allowed', async () => {
    expect(await failure(run('cat /etc/passwd'))).toMatchObject({ code: 'path_outside_workspace' });
    expect(await failure(run('cat ../outside/secret.txt'))).toMatchObject({ code: 'path_outside_workspace' });
    expect(await failure(run('echo x > /etc/x', { allowShellOperators: true }))).toMatchObject({
      code: 'path_outside_workspace',
    });
  });

  it('uses /bin/sh when the workflow allows shell operators', async () => {
    const result = await run('echo a && echo b | tr b c; echo "$HOME"', { allowShellOperators: true });
    expect(result.stdout).toBe(`a\nc\n${ws.root}\n`);
  });

  it('gives the child a fixed, minimal environment: no secret of the server', async () => {
    process.env.ORCHESTRATOR_JWT_SECRET = 'parent-secret-that-must-not-leak-0123456789';
    try {
      const { stdout } = await run('env');
      expect(stdout).not.toContain('ORCHESTRATOR_JWT_SECRET');
      expect(stdout).not.toContain('parent-secret');
      const names = stdout
        .trim()
        .split('\n')
        .map((line) => line.slice(0, line.indexOf('=')))
        .sort();
      // bubblewrap adds PWD, the working directory.
      expect(names).toEqual([...Object.keys(commandEnvironment(ws.root)), 'PWD'].sort());
      expect(stdout).toContain(`HOME=${ws.root}\n`);
      expect(stdout).toContain(`PWD=${ws.root}\n`);
      expect(stdout).toContain('TERM=dumb\n');
      expect(stdout).toContain('GIT_CONFIG_VALUE_0=/dev/null\n');
    } finally {
      delete process.env.ORCHESTRATOR_JWT_SECRET;
    }
  });

  it('keeps only absolute PATH entries, so a program planted in the workspace is not found via "."', () => {
    expect(commandEnvironment('/ws', '.:/usr/bin:bin::/bin').PATH).toBe('/usr/bin:/bin');
    expect(commandEnvironment('/ws', '').PATH).toBe('/usr/local/bin:/usr/bin:/bin');
  });

  it('kills a command that runs past the timeout and reports it with its output', async () => {
    const started = Date.now();
    const error = await failure(run('echo started; sleep 30', { allowShellOperators: true }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toMatchObject({ kind: 'invalid_input', code: 'command_timeout' });
    expect(error.details?.result).toMatchObject({
      timed_out: true,
      exit_code: null,
      signal: 'SIGKILL',
      stdout: 'started\n',
    });
  });

  it('kills every process the command started on timeout, grandchildren included', async () => {
    const error = await failure(run(`sh -c 'sleep 31.4159 & sleep 30'`, { allowShellOperators: true }));
    expect(error).toMatchObject({ code: 'command_timeout' });
    expect(await eventually(() => hostProcessesWith('31.4159') === 0)).toBe(true);
  });

  it('does not let a background process outlive a command that exits, not even one that calls setsid', async () => {
    const started = Date.now();
    const result = await run('sleep 27.1828 & setsid sleep 27.1829 & echo started', {
      allowShellOperators: true,
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ exit_code: 0, stdout: 'started\n' });
    expect(await eventually(() => hostProcessesWith('27.182') === 0)).toBe(true);
  });

  it('truncates huge output, keeping head and tail and counting what was dropped', async () => {
    const result = await run(['seq', '1', '100000']);
    const total = Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join('').length;
    expect(result.truncated).toBe(true);
    expect(result.dropped_bytes).toEqual({ stdout: total - 1024, stderr: 0 });
    expect(result.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.stdout.endsWith('99999\n100000\n')).toBe(true);
    expect(result.stdout).toContain(`[… ${total - 1024} bytes dropped …]`);
    expect(result.exit_code).toBe(0);
  });

  it.each([
    [{ command: '' }, 'command'],
    [{ command: [] }, 'command'],
    [{ command: 42 }, 'command'],
    [{ command: ['ls', 1] }, 'command[1]'],
    [{ command: 'ls', timeout: 0 }, 'timeout'],
    [{ command: 'ls', timeout: '5' }, 'timeout'],
    [{ command: 'ls', timeout: 86_401 }, 'timeout'],
    [{ command: 'ls', cwd: '' }, 'cwd'],
    [{}, 'command'],
  ])('rejects arguments %j', async (args, field) => {
    expect(await failure(ws.registry.execute('bash', args))).toMatchObject({
      code: 'invalid_tool_args',
      details: { field },
    });
  });
});
