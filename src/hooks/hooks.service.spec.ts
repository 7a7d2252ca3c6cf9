import { type AuditTrail } from '../audit/audit-trail.js';
import { type AuthFailures, type Refusal } from '../auth/auth-failures.js';
import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '../common/domain/domain-error.js';
import { type EventBus } from '../events/event-bus.js';
import { type AgentTasksService } from '../tasks/agent-tasks.service.js';
import { type Task } from '../tasks/domain/task.model.js';
import { type PhaseTokenService } from '../tasks/phase-token.service.js';
import { Registry } from 'prom-client';
import { ToolMetrics } from '../tools/tool-metrics.js';
import { type ToolsService } from '../tools/tools.service.js';
import { HooksService } from './hooks.service.js';

const agent = { sub: 'agent-1', role: 'agent' } as AccessClaims;
const read = {
  tool_name: 'Read',
  tool_input: { file_path: '/p/src/a.ts' },
  cwd: '/p',
  hook_event_name: 'PreToolUse',
};
const task = { id: 'task-1', phase: 'PLAN' } as Task;

function service(authorize: ToolsService['authorize'], options: { auditFails?: boolean } = {}) {
  const calls: unknown[] = [];
  const refusals: Refusal[] = [];
  const audited: unknown[] = [];
  const events: Array<{ type: string; input: unknown }> = [];
  const tools = {
    authorize: (a: AccessClaims, r: Parameters<ToolsService['authorize']>[1]) => {
      calls.push(r);
      return authorize(a, r);
    },
  } as ToolsService;
  const phaseTokens = {
    verifySignature: (token: string | undefined) => {
      if (!token) throw new UnauthorizedError('missing_phase_token', 'a phase token is required');
      if (token === 'bad') throw new UnauthorizedError('invalid_token', 'bad signature');
      return { task_id: token === 'gone' ? 'task-gone' : 'task-1' };
    },
    verifyFor: (token: string) => {
      if (token === 'stale') throw new ForbiddenError('stale_phase_token', 'stale');
      return { task_id: 'task-1' };
    },
  } as unknown as PhaseTokenService;
  const tasks = {
    getTask: (id: string) =>
      id === 'task-1' ? Promise.resolve(task) : Promise.reject(new ForbiddenError('task_not_found', 'no')),
  } as unknown as AgentTasksService;
  const failures = { refused: (r: Refusal) => refusals.push(r) } as unknown as AuthFailures;
  const audit = {
    record: (entry: unknown) => {
      audited.push(entry);
      return options.auditFails
        ? Promise.reject(new UnavailableError('audit_write_failed', 'disk full'))
        : Promise.resolve({});
    },
  } as unknown as AuditTrail;
  const bus = {
    publish: (type: string, input: unknown) => events.push({ type, input }),
  } as unknown as EventBus;
  const metrics = new ToolMetrics(new Registry());
  return {
    hooks: new HooksService(tools, phaseTokens, tasks, failures, audit, bus, metrics),
    metrics,
    calls,
    refusals,
    audited,
    events,
  };
}

const decision = (allowed: boolean) =>
  Promise.resolve({
    allowed,
    reason: 'r',
    phase: 'PLAN',
    tool: 'read_files',
    rule: 'phases.PLAN.allowed_tools',
    mode: 'strict',
    would_deny: false,
  });

describe('HooksService', () => {
  it('authorizes the mapped tool for the token’s task and answers in hook JSON', async () => {
    const { hooks, calls } = service(() => decision(true));
    const out = await hooks.preToolUse(agent, 'pt', read);
    expect(calls).toEqual([
      { task_id: 'task-1', phase_token: 'pt', tool_name: 'read_files', args: { path: 'src/a.ts' } },
    ]);
    expect(out.hookSpecificOutput).toEqual({
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
      permissionDecisionReason: expect.stringContaining('phase PLAN') as unknown,
    });
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain('rule phases.PLAN.allowed_tools');
  });

  it.each([
    ['a policy deny', 'pt', read, () => decision(false), 'phase PLAN'],
    ['no phase token', undefined, read, () => decision(true), 'missing_phase_token'],
    ['a bad phase token', 'bad', read, () => decision(true), 'invalid_token'],
    ['garbage input', 'pt', 'garbage', () => decision(true), 'not a JSON object'],
    ['an unmapped tool', 'pt', { ...read, tool_name: 'WebFetch' }, () => decision(true), 'WebFetch'],
    [
      'a domain error from authorize',
      'pt',
      read,
      () => Promise.reject(new ForbiddenError('stale_phase_token', 'stale')),
      'stale_phase_token',
    ],
  ])('denies with 200 on %s', async (_label, token, input, authorize, reason) => {
    const { hooks } = service(authorize as ToolsService['authorize']);
    const out = await hooks.preToolUse(agent, token, input);
    expect(out.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain(reason);
  });

  it.each(['Task', 'TodoWrite', 'WebFetch', 'mcp__github__create_issue'])(
    'audits and emits the denial of the unmapped tool %s',
    async (tool) => {
      const { hooks, audited, events, calls, metrics } = service(() => decision(true));
      await hooks.preToolUse(agent, 'pt', { ...read, tool_name: tool });
      expect(calls).toEqual([]);
      // Counted like every decision, under a fixed label (not the agent-chosen name).
      const counted = (await metrics.decisions.get()).values;
      expect(counted).toEqual([
        { labels: { tool: 'claude_code:unmapped', phase: 'PLAN', decision: 'denied' }, value: 1 },
      ]);
      expect(audited).toEqual([
        expect.objectContaining({
          actor: 'agent-1',
          action: 'tool.authorize',
          decision: 'denied',
          task_id: 'task-1',
          phase: 'PLAN',
          tool,
          details: { rule: 'hooks.claude_code.unmapped_tool', source: 'claude_code_hook' },
        }),
      ]);
      expect(events).toEqual([
        {
          type: 'tool.denied',
          input: expect.objectContaining({ task_id: 'task-1', data: expect.objectContaining({ tool }) }),
        },
      ]);
    },
  );

  it('audits garbage input from a valid token holder as a denial', async () => {
    const { hooks, audited, events } = service(() => decision(true));
    await hooks.preToolUse(agent, 'pt', { tool_name: 'Read' });
    expect(audited).toEqual([
      expect.objectContaining({
        decision: 'denied',
        details: expect.objectContaining({ rule: 'hooks.claude_code.invalid_input' }),
      }),
    ]);
    expect(events).toHaveLength(1);
  });

  it.each([
    ['no phase token', undefined, 'missing_phase_token'],
    ['a bad phase token', 'bad', 'invalid_token'],
    ['a token for a task that is gone', 'gone', 'task_not_found'],
  ])('records %s as a refused credential, even for an unmapped tool', async (_label, token, code) => {
    const { hooks, refusals } = service(() => decision(true));
    const out = await hooks.preToolUse(agent, token, { ...read, tool_name: 'Task' });
    expect(out.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(refusals).toEqual([
      expect.objectContaining({ actor: 'agent-1', err: expect.objectContaining({ code }) }),
    ]);
  });

  it('still denies when the audit log cannot be written', async () => {
    const { hooks } = service(() => decision(true), { auditFails: true });
    const out = await hooks.preToolUse(agent, 'pt', { ...read, tool_name: 'Task' });
    expect(out.hookSpecificOutput.permissionDecision).toBe('deny');
    expect(out.hookSpecificOutput.permissionDecisionReason).toContain('audit_write_failed');
  });
});
