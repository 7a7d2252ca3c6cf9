import { claimsProblem } from './claims-check.js';

const now = 1_800_000_000;
const access = {
  typ: 'access',
  iss: 'workflow-orchestrator',
  sub: 'agent-1',
  role: 'agent',
  iat: now,
  exp: now + 60,
  jti: 'j-1',
  orig_iat: now,
};
const phase = {
  typ: 'phase',
  iss: 'workflow-orchestrator',
  sub: 'agent-1',
  task_id: 't-1',
  phase: 'PLAN',
  allowed_tools: ['read_files'],
  ver: 3,
  iat: now,
  exp: now + 60,
  jti: 'j-2',
};

function without(claims: Record<string, unknown>, name: string): Record<string, unknown> {
  const copy = { ...claims };
  delete copy[name];
  return copy;
}

describe('claimsProblem', () => {
  it('accepts complete access and phase claims', () => {
    expect(claimsProblem(access)).toBeUndefined();
    expect(claimsProblem(phase)).toBeUndefined();
  });

  it.each(['typ', 'sub', 'iat', 'exp', 'jti', 'role', 'orig_iat'])(
    'refuses an access token without %s',
    (c) =>
      expect(claimsProblem(without(access, c))).toMatchObject({
        code: 'token_claim_missing',
        message: expect.stringContaining(`'${c}'`),
      }),
  );

  it.each(['task_id', 'phase', 'allowed_tools', 'ver', 'exp', 'jti'])(
    'refuses a phase token without %s',
    (c) => expect(claimsProblem(without(phase, c))?.code).toBe('token_claim_missing'),
  );

  it.each([
    ['an object sub', { sub: { id: 'agent-1' } }],
    ['an empty sub', { sub: '' }],
    ['a huge sub', { sub: 'x'.repeat(1000) }],
    ['a numeric jti', { jti: 7 }],
    ['a string exp', { exp: String(now + 60) }],
    ['a fractional exp', { exp: now + 0.5 }],
    ['iat after exp', { iat: now + 120 }],
    ['orig_iat after iat', { orig_iat: now + 1 }],
  ])('refuses %s', (_name, change) => {
    expect(claimsProblem({ ...access, ...change })?.code).toBe('token_claim_invalid');
  });

  it('treats a null claim as missing', () => {
    expect(claimsProblem({ ...access, exp: null })?.code).toBe('token_claim_missing');
  });

  it('refuses unknown roles and types by name', () => {
    expect(claimsProblem({ ...access, role: 'root' })).toMatchObject({
      code: 'unknown_role',
      message: expect.stringContaining("'root'"),
    });
    expect(claimsProblem({ ...access, role: ['admin'] })?.code).toBe('unknown_role');
    expect(claimsProblem({ ...access, typ: 'refresh' })?.code).toBe('unknown_token_type');
  });

  it('refuses phase tokens with a malformed tool list or version', () => {
    expect(claimsProblem({ ...phase, allowed_tools: 'bash' })?.code).toBe('token_claim_invalid');
    expect(claimsProblem({ ...phase, ver: '3' })?.code).toBe('token_claim_invalid');
  });
});
