import { type AccessClaims } from '../auth/domain/token-claims.js';
import { ForbiddenError } from '../common/domain/domain-error.js';
import { type PhaseTokenService } from '../tasks/phase-token.service.js';
import { type ToolsService } from '../tools/tools.service.js';
import { HooksService } from './hooks.service.js';

const agent = { sub: 'agent-1', role: 'agent' } as AccessClaims;
const read = {
  tool_name: 'Read',
  tool_input: { file_path: '/p/src/a.ts' },
  cwd: '/p',
  hook_event_name: 'PreToolUse',
};

function service(authorize: ToolsService['authorize']) {
  const calls: unknown[] = [];
  const tools = {
    authorize: (a: AccessClaims, r: Parameters<ToolsService['authorize']>[1]) => {
      calls.push(r);
      return authorize(a, r);
    },
  } as ToolsService;
  const phaseTokens = {
    verifySignature: (token: string) => {
      if (token === 'bad') throw new ForbiddenError('invalid_token', 'bad signature');
      return { task_id: 'task-1' };
    },
  } as unknown as PhaseTokenService;
  return { hooks: new HooksService(tools, phaseTokens), calls };
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
});
