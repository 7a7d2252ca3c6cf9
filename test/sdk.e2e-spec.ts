import { api } from './support/api.js';
import { disposeServer, type ServerProcess, startServer } from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts, tddArtifacts } from './fixtures/artifacts.js';
import { AgentClient, AuthError, ToolForbiddenError, TransitionBlockedError } from '../src/sdk/index.js';

const operator = accessToken('operator', 'sdk-op');

describe('AgentClient against a live server', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const clients: AgentClient[] = [];
  const client = (subject: string, token = accessToken('agent', subject)) => {
    const c = new AgentClient({ baseUrl: server.url, agentId: subject, accessToken: token });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await disposeServer(server);
  });

  it('a transition replayed with the same Idempotency-Key is applied once and answered identically', async () => {
    const { body: task } = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'idempotent',
    });
    const c = client('sdk-agent-1');
    const claim = await c.claimTask();
    expect(claim?.task.id).toBe(task.id);
    await expect(c.requestTransition('TDD', planArtifacts)).rejects.toBeInstanceOf(TransitionBlockedError);
    expect(
      (await http.post(`/api/v1/tasks/${task.id}/gates/plan_approved/approve`, operator, {})).status,
    ).toBe(200);
    const first = await c.requestTransition('TDD', planArtifacts, { idempotencyKey: 'sdk-key-1' });
    // What a retry after a lost answer sends: the same body and key, with the old token.
    const replay = await http.post<Record<string, unknown>>(
      '/api/v1/tasks/transition',
      accessToken('agent', 'sdk-agent-1'),
      {
        task_id: task.id,
        current_phase: 'PLAN',
        target_phase: 'TDD',
        phase_token: claim!.phase_token,
        artifacts: planArtifacts,
      },
      { 'idempotency-key': 'sdk-key-1' },
    );
    expect(replay.status).toBe(200);
    expect({ ...replay.body, new_token: undefined }).toEqual({ ...first, new_token: undefined });
    const audit = await http.get<{ entries: { action: string; decision: string }[] }>(
      `/api/v1/audit/query?task_id=${task.id}&action=task.transition`,
      operator,
    );
    expect(audit.body.entries.filter((e) => e.decision === 'allowed')).toHaveLength(1);
    // The client's newest token still works: the replay did not bump the version.
    await expect(c.requestTransition('IMPL', {})).rejects.toBeInstanceOf(TransitionBlockedError);
    await expect(c.requestTransition('IMPL', tddArtifacts)).resolves.toMatchObject({ phase: 'IMPL' });
    const snapshot = await c.getStateSnapshot();
    expect(snapshot.current_phase).toBe('IMPL');
  });

  it('raises the typed errors a real server causes', async () => {
    await http.post('/api/v1/tasks', operator, { title: 'errors' });
    const c = client('sdk-agent-2');
    await c.claimTask();
    await expect(c.useTool('write_files', { path: 'src/a.ts', content: '' })).rejects.toBeInstanceOf(
      ToolForbiddenError,
    );
    await expect(c.requestTransition('TDD', planArtifacts)).rejects.toBeInstanceOf(TransitionBlockedError);
    await http.post(`/api/v1/tasks/${c.taskId}/gates/plan_approved/approve`, operator, {});
    await c.requestTransition('TDD', planArtifacts);
    const other = client('sdk-agent-3');
    await expect(other.claimTask()).resolves.toBeNull();
    await expect(client('sdk-agent-4', 'not.a.token').claimTask()).rejects.toMatchObject({
      code: 'invalid_token',
      status: 401,
    });
    await expect(client('sdk-agent-4', 'not.a.token').claimTask()).rejects.toBeInstanceOf(AuthError);
    const taskId = c.taskId!;
    await c.release();
    expect(c.taskId).toBeUndefined();
    const again = client('sdk-agent-5');
    await expect(again.claimTask()).resolves.toBeNull(); // in retry backoff after the release
    const status = await http.get<{ status: string; phase: string }>(`/api/v1/tasks/${taskId}`, operator);
    expect(status.body.phase).toBe('TDD');
  });
});
