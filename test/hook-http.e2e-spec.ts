import type { AgentClient } from '../src/sdk/index.js';
import { api } from './support/api.js';
import { claudeCodeSample, hookActors, startClaimedTask, type ClaimedTask } from './support/claimed-task.js';
import { runCli, baseEnv, type ServerProcess } from './support/server-process.js';

const actors = hookActors('http-hook');
const { operator, agentToken } = actors;
const sample = (name: string) => JSON.parse(claudeCodeSample(name)) as Record<string, unknown>;
const PATH = '/api/v1/hooks/claude-code/pre-tool-use';

interface Out {
  hookSpecificOutput: { hookEventName: string; permissionDecision: string; permissionDecisionReason: string };
}

describe('POST /api/v1/hooks/claude-code/pre-tool-use', () => {
  let claimed: ClaimedTask;
  let server: ServerProcess;
  let client: AgentClient;

  beforeAll(async () => {
    claimed = await startClaimedTask(actors, { title: 'http hook', heartbeat: false });
    ({ server, client } = claimed);
  });
  afterAll(() => claimed?.dispose());

  const ask = (body: unknown, phaseToken?: string) =>
    api(server.url).post<Out>(PATH, agentToken, body, phaseToken ? { 'x-phase-token': phaseToken } : {});

  it('allows and denies by the phase policy, in hook JSON', async () => {
    const read = await ask(sample('read-source'), client.phaseToken);
    expect(read.status).toBe(200);
    expect(read.body.hookSpecificOutput).toMatchObject({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
    });
    const write = await ask(sample('write-test-file'), client.phaseToken);
    expect(write.body.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(write.body.hookSpecificOutput.permissionDecisionReason).toContain('phase PLAN');
  });

  it('answers 200 deny without a phase token, with a bad one, for garbage and unmapped tools', async () => {
    for (const [body, token, reason] of [
      [sample('read-source'), undefined, 'missing_phase_token'],
      [sample('read-source'), 'x.y.z', 'invalid_token'],
      [{ nonsense: true }, client.phaseToken, 'tool_name'],
      [sample('webfetch'), client.phaseToken, 'WebFetch'],
    ] as const) {
      const res = await ask(body, token);
      expect(res.status).toBe(200);
      expect(res.body.hookSpecificOutput.permissionDecision).toBe('deny');
      expect(res.body.hookSpecificOutput.permissionDecisionReason).toContain(reason);
    }
  });

  it('audits and emits each denial: unmapped tools as tool.authorize, bad phase tokens as auth.failure', async () => {
    const http = api(server.url);
    for (const name of ['task', 'todowrite']) {
      const res = await ask(sample(name), client.phaseToken);
      expect(res.body.hookSpecificOutput.permissionDecision).toBe('deny');
    }
    const forged = await ask(sample('task'), 'x.y.z');
    expect(forged.body.hookSpecificOutput.permissionDecision).toBe('deny');
    const audit = await http.get<{
      entries: Array<{
        action: string;
        tool: string | null;
        decision: string;
        details: { rule?: string; code?: string };
      }>;
    }>('/api/v1/audit/query?success=false&limit=1000', operator);
    const unmapped = audit.body.entries.filter(
      (e) => e.action === 'tool.authorize' && e.details.rule === 'hooks.claude_code.unmapped_tool',
    );
    expect(unmapped.map((e) => e.tool)).toEqual(expect.arrayContaining(['Task', 'TodoWrite']));
    expect(
      audit.body.entries.some((e) => e.action === 'auth.failure' && e.details.code === 'invalid_token'),
    ).toBe(true);
    const events = await http.get<{ events: Array<{ type: string; data: { tool?: string } }> }>(
      '/api/v1/events?type=tool.denied&limit=1000',
      operator,
    );
    expect(events.body.events.map((e) => e.data.tool)).toEqual(expect.arrayContaining(['Task', 'TodoWrite']));
  });

  it('is for agents only', async () => {
    const res = await api(server.url).post(PATH, operator, sample('read-source'));
    expect(res.status).toBe(403);
  });

  it('the CLI registers `hook claude-code`', async () => {
    const run = await runCli(['hook', 'claude-code', '--help'], { env: baseEnv() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--token-file');
  });
});
