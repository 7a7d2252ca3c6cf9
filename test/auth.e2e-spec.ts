import { api } from './support/api.js';
import { disposeServer, startServer, TEST_SECRET, type ServerProcess } from './support/server-process.js';
import { accessToken, claimsOf, unsignedToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

interface Claimed {
  task: { id: string };
  phase_token: string;
}

describe('authentication and authorization', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'op-1');
  const admin = accessToken('admin', 'root');

  beforeAll(async () => {
    server = await startServer({
      env: {
        ORCHESTRATOR_JWT_SECRET_PREVIOUS: 'previous-secret-0123456789abcdef0123456789',
        // Dozens of refusals come from this one address: audit and emit each (no summaries).
        ORCHESTRATOR_SECURITY_AUTH_FAILURE_AUDIT_BURST: '1000',
      },
    });
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  const listTasks = (token?: string, headers?: Record<string, string>) =>
    http.get('/api/v1/tasks', token, headers);

  it('public routes need no token', async () => {
    for (const path of ['/', '/health', '/health/live', '/health/ready', '/metrics', '/docs-json']) {
      expect((await fetch(`${server.url}${path}`)).status).toBe(200);
    }
  });

  type RefusalCase = [string, string | undefined, Record<string, string> | undefined, number, string];
  it.each<RefusalCase>([
    ['no token', undefined, undefined, 401, 'missing_token'],
    ['a garbage token', 'not-a-jwt', undefined, 401, 'invalid_token'],
    [
      'a non-bearer scheme',
      undefined,
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      401,
      'invalid_token',
    ],
    [
      'alg: none',
      unsignedToken({ typ: 'access', sub: 'op', role: 'admin', iss: 'workflow-orchestrator' }),
      undefined,
      401,
      'invalid_token',
    ],
    [
      'the wrong secret',
      accessToken('operator', 'op', { secret: 'another-secret-0123456789abcdef0123456789' }),
      undefined,
      401,
      'invalid_token',
    ],
    [
      'a right kid but wrong signature',
      accessToken('operator', 'op', { secret: 'x'.repeat(40), kid: claimsHeaderKid() }),
      undefined,
      401,
      'invalid_token',
    ],
    [
      'an expired token',
      accessToken('operator', 'op', { expiresInSeconds: -10 }),
      undefined,
      401,
      'token_expired',
    ],
    [
      'a phase token used as an access token',
      accessToken('operator', 'op', {
        typ: 'phase',
        extra: { task_id: 't-1', phase: 'PLAN', allowed_tools: [], ver: 1 },
      }),
      undefined,
      401,
      'wrong_token_type',
    ],
    // Signed with the real secret, so only the claim checks can refuse them.
    ...['exp', 'iat', 'jti', 'sub', 'role', 'typ', 'orig_iat'].map(
      (claim) =>
        [
          `a real-secret token without '${claim}'`,
          accessToken('operator', 'op', { omit: [claim] }),
          undefined,
          401,
          'token_claim_missing',
        ] satisfies RefusalCase,
    ),
    [
      'a real-secret token whose sub is an object',
      accessToken('operator', 'op', { extra: { sub: { id: 'op', admin: true } } }),
      undefined,
      401,
      'token_claim_invalid',
    ],
    [
      'a real-secret token whose exp is not whole seconds',
      accessToken('operator', 'op', { extra: { exp: Math.floor(Date.now() / 1000) + 3600.5 } }),
      undefined,
      401,
      'token_claim_invalid',
    ],
    [
      'a real-secret token with an unknown role',
      accessToken('root' as 'admin', 'op'),
      undefined,
      401,
      'unknown_role',
    ],
    [
      'a real-secret token with an unknown typ',
      accessToken('operator', 'op', { typ: 'refresh' }),
      undefined,
      401,
      'unknown_token_type',
    ],
    [
      'an agent on an operator endpoint',
      accessToken('agent', 'agent-1'),
      undefined,
      403,
      'insufficient_role',
    ],
  ])('refuses %s', async (_name, token, headers, status, code) => {
    const res = await listTasks(token, headers);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ statusCode: status, code });
    expect(JSON.stringify(res.body)).not.toContain(TEST_SECRET);
  });

  it('accepts a token signed with a previous secret during a rotation', async () => {
    const old = accessToken('operator', 'op-old', { secret: 'previous-secret-0123456789abcdef0123456789' });
    expect((await listTasks(old)).status).toBe(200);
  });

  it('admin mints tokens; operators may not', async () => {
    const minted = await http.post<{ access_token: string; role: string; jti: string }>(
      '/api/v1/auth/tokens',
      admin,
      {
        role: 'agent',
        subject: 'agent-9',
        ttl_seconds: 600,
      },
    );
    expect(minted.status).toBe(201);
    expect(claimsOf(minted.body.access_token)).toMatchObject({
      typ: 'access',
      role: 'agent',
      sub: 'agent-9',
    });
    const refused = await http.post('/api/v1/auth/tokens', operator, { role: 'admin', subject: 'me' });
    expect(refused.status).toBe(403);
    const invalid = await http.post('/api/v1/auth/tokens', admin, { role: 'root', subject: 'x y', extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'validation_failed' });
  });

  it('refresh rotates: the old token is revoked, the new one works', async () => {
    const original = accessToken('operator', 'op-rotate');
    const refreshed = await http.post<{ access_token: string }>('/api/v1/auth/refresh', original);
    expect(refreshed.status).toBe(200);
    expect((await listTasks(refreshed.body.access_token)).status).toBe(200);
    const reused = await listTasks(original);
    expect(reused.status).toBe(401);
    expect(reused.body).toMatchObject({ code: 'token_revoked' });
  });

  it('a refresh chain cannot outlive max_token_age_seconds', async () => {
    const ancient = accessToken('operator', 'op-old-chain', {
      extra: { orig_iat: Math.floor(Date.now() / 1000) - 10 * 86400 },
    });
    const res = await http.post('/api/v1/auth/refresh', ancient);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'refresh_chain_too_old' });
  });

  it('a revoked token is refused; only admins revoke others’ tokens', async () => {
    const victim = accessToken('operator', 'op-victim');
    const byOther = await http.post('/api/v1/auth/revoke', operator, { token: victim });
    expect(byOther.status).toBe(403);
    expect(byOther.body).toMatchObject({ code: 'not_token_owner' });
    expect((await http.post('/api/v1/auth/revoke', admin, { token: victim })).status).toBe(200);
    expect((await listTasks(victim)).body).toMatchObject({ code: 'token_revoked' });
  });

  it('every refusal is an auth.failed event without the token', async () => {
    const bad = accessToken('operator', 'op', { expiresInSeconds: -5 });
    await listTasks(bad);
    const events = await http.get<{ events: Array<{ type: string; data: { code: string } }> }>(
      '/api/v1/events?type=auth.failed&limit=1000',
      admin,
    );
    expect(events.body.events.map((e) => e.data.code)).toEqual(
      expect.arrayContaining(['missing_token', 'token_expired', 'insufficient_role']),
    );
    expect(JSON.stringify(events.body)).not.toContain(bad);
  });
});

describe('phase token rules', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'op-1');
  const agentA = accessToken('agent', 'agent-a');
  const agentB = accessToken('agent', 'agent-b');
  let taskA: Claimed;
  let taskB: Claimed;

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
    await http.post('/api/v1/tasks', operator, { title: 'A' });
    await http.post('/api/v1/tasks', operator, { title: 'B' });
    taskA = (await http.post<Claimed>('/api/v1/tasks/claim', agentA, {})).body;
    taskB = (await http.post<Claimed>('/api/v1/tasks/claim', agentB, {})).body;
  });
  afterAll(() => disposeServer(server));

  const transition = (
    agent: string,
    taskId: string,
    phaseToken: string,
    extra: Record<string, unknown> = {},
  ) =>
    http.post('/api/v1/tasks/transition', agent, {
      task_id: taskId,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: phaseToken,
      artifacts: planArtifacts,
      ...extra,
    });

  it('another task’s phase token is refused', async () => {
    const res = await transition(agentA, taskA.task.id, taskB.phase_token);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'phase_token_agent_mismatch' });
    const own = accessToken('agent', 'agent-b');
    const wrongTask = await transition(own, taskA.task.id, taskB.phase_token);
    expect(wrongTask.status).toBe(403);
    expect(wrongTask.body).toMatchObject({ code: 'phase_token_task_mismatch' });
  });

  it('another agent’s phase token is refused even for the right task', async () => {
    const res = await transition(agentB, taskA.task.id, taskA.phase_token);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'phase_token_agent_mismatch' });
  });

  it('an access token used as a phase token is refused', async () => {
    const res = await transition(agentA, taskA.task.id, agentA);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'wrong_token_type' });
  });

  it('operators cannot call agent endpoints', async () => {
    const res = await http.post('/api/v1/tasks/claim', operator, {});
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'insufficient_role' });
  });

  it('a token for an unknown task is 403 (not 404: no probing ids), a wrong current_phase 409, an undefined transition 400', async () => {
    expect((await transition(agentA, 'no-such-task', taskA.phase_token)).body).toMatchObject({
      statusCode: 403,
      code: 'phase_token_task_mismatch',
    });
    expect(
      (await transition(agentA, taskA.task.id, taskA.phase_token, { current_phase: 'IMPL' })).body,
    ).toMatchObject({
      statusCode: 409,
      code: 'phase_mismatch',
    });
    expect(
      (await transition(agentA, taskA.task.id, taskA.phase_token, { target_phase: 'REVIEW' })).body,
    ).toMatchObject({
      statusCode: 400,
      code: 'no_such_transition',
    });
  });

  it('invalid DTOs are 400 validation_failed: wrong types, extra fields, huge strings', async () => {
    const cases = [
      { task_id: 5, current_phase: 'PLAN', target_phase: 'TDD', phase_token: 'x' },
      {
        task_id: taskA.task.id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: 'x',
        surprise: true,
      },
      { task_id: 'x'.repeat(100_000), current_phase: 'PLAN', target_phase: 'TDD', phase_token: 'x' },
      {
        task_id: taskA.task.id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: 'x',
        artifacts: [1, 2],
      },
    ];
    for (const body of cases) {
      const res = await http.post('/api/v1/tasks/transition', agentA, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed' });
    }
    const create = await http.post('/api/v1/tasks', operator, {
      title: '',
      priority: 'high',
      dependencies: 'x',
    });
    expect(create.status).toBe(400);
    const deps = await http.post('/api/v1/tasks', operator, {
      title: 'bad deps',
      dependencies: ['does-not-exist'],
    });
    expect(deps.status).toBe(400);
    expect(deps.body).toMatchObject({ code: 'unknown_dependency' });
  });

  it('cancel makes the holder’s phase token stale', async () => {
    expect((await http.post(`/api/v1/tasks/${taskB.task.id}/cancel`, operator, {})).status).toBe(200);
    const res = await transition(agentB, taskB.task.id, taskB.phase_token);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'stale_phase_token' });
  });
});

function claimsHeaderKid(): string {
  const token = accessToken('operator', 'x');
  return (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
}
