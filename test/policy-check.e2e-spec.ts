import { join } from 'node:path';
import { hookActors, startClaimedTask, type ClaimedTask } from './support/claimed-task.js';
import { runCli } from './support/server-process.js';

/**
 * `orchestrator policy check` answers without a server exactly what `/tools/authorize` answers
 * with one: the same decision, rule and reason for the same call in the same phase.
 */
const WORKFLOW = join(process.cwd(), 'workflows/agent_workflow.yaml');

function check(args: string[]) {
  return runCli(['policy', 'check', '--workflow', WORKFLOW, ...args]);
}

describe('policy check (offline) against the server', () => {
  let claimed: ClaimedTask;
  beforeAll(async () => {
    claimed = await startClaimedTask(hookActors('policy-check'), { title: 'policy questions' });
  }, 30_000);
  afterAll(async () => claimed?.dispose());

  // The claimed task is in PLAN, the shipped workflow's first phase.
  const calls: Array<{ tool: string; args: Record<string, unknown>; flags: string[] }> = [
    { tool: 'read_files', args: { paths: ['src/a.ts'] }, flags: ['--path', 'src/a.ts'] },
    { tool: 'write_files', args: { paths: ['src/a.ts'] }, flags: ['--path', 'src/a.ts'] },
    { tool: 'bash', args: { command: 'npm test' }, flags: ['--command', 'npm test'] },
    { tool: 'read_files', args: { paths: ['../outside.txt'] }, flags: ['--path', '../outside.txt'] },
    { tool: 'search_files', args: { pattern: 'x' }, flags: ['--args', '{"pattern":"x"}'] },
    { tool: 'mcp__unknown', args: {}, flags: [] },
  ];

  it.each(calls)('$tool $flags: the same answer as /tools/authorize', async ({ tool, args, flags }) => {
    const server = await claimed.client.authorizeTool(tool, args);
    const offline = await check(['--phase', 'PLAN', '--tool', tool, '--json', ...flags]);
    expect(offline.stderr).toBe('');
    const answer = JSON.parse(offline.stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({
      allowed: server.allowed,
      decision: server.allowed ? 'allow' : 'deny',
      reason: server.reason,
      tool: server.tool,
      mode: server.mode,
      would_deny: server.would_deny,
    });
    expect(answer.rule).toBe(server.rule ?? 'phases.PLAN.allowed_tools');
    expect(offline.code).toBe(server.allowed ? 0 : 1);
  });
});

describe('policy check exit codes and output', () => {
  it('prints allow and the rule, exit 0', async () => {
    const r = await check(['--phase', 'TDD', '--tool', 'write_files', '--path', 'tests/a.test.ts']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^allow {2}write_files in TDD \(mode strict\)\n {2}rule: {3}phases\.TDD\.allowed_tools/,
    );
  });

  it('prints deny and the constraint that decided, exit 1', async () => {
    const r = await check(['--phase', 'TDD', '--tool', 'write_files', '--path', 'src/a.ts']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('deny  write_files in TDD');
    expect(r.stdout).toContain('rule:   phases.TDD.tool_constraints.write_files.allowed_patterns');
  });

  it('judges a command line: a pipe is a denial, exit 1', async () => {
    const r = await check(['--phase', 'TDD', '--tool', 'bash', '--command', 'npm test | tee x']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('allow_shell_operators');
  });

  it('--mode audit allows and says strict would deny, exit 0', async () => {
    const r = await check(['--phase', 'TDD', '--tool', 'write_files', '--path', '.env', '--mode', 'audit']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(mode audit: strict would deny)');
  });

  it.each([
    ['an unknown phase', ['--phase', 'NOPE', '--tool', 'bash'], /unknown_phase: .*phases: PLAN, TDD/],
    ['a missing tool', ['--phase', 'TDD'], /missing --tool/],
    ['a bad tool name', ['--phase', 'TDD', '--tool', 'rm -rf /'], /invalid_tool_name/],
    ['an unknown mode', ['--phase', 'TDD', '--tool', 'bash', '--mode', 'lax'], /invalid_mode/],
    ['args that are not an object', ['--phase', 'TDD', '--tool', 'bash', '--args', '[1]'], /JSON object/],
    ['an unknown option', ['--phase', 'TDD', '--tool', 'bash', '--bogus'], /unknown option '--bogus'/],
  ])('%s is bad input: exit 2, nothing on stdout', async (_what, flags, message) => {
    const r = await check(flags);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('a workflow file that does not load is bad input, exit 2', async () => {
    const r = await runCli([
      'policy',
      'check',
      '--workflow',
      '/nonexistent.yaml',
      '--phase',
      'TDD',
      '--tool',
      'bash',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read workflow file: ENOENT');
  });
});
