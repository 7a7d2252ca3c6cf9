import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

interface Entry {
  action: string;
  decision: string;
  request_id: string | null;
}

/**
 * Every audit entry a request causes carries that request's id (X-Request-Id), whichever way it
 * reaches the log: written directly (a tool decision, a token mint), through the outbox with a
 * stored change (a claim, a task created), or as a refusal (a stale phase token, a bad access
 * token). The id travels as a parameter from the controller (`RequestScope`), so a path that
 * forgets it shows up here as null.
 */
describe('the request id in audit entries', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'rid-op');
  const agent = accessToken('agent', 'rid-agent');
  const admin = accessToken('admin', 'rid-admin');

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  const entriesOf = async (id: string): Promise<Entry[]> => {
    const page = await http.get<{ entries: Entry[] }>('/api/v1/audit/query?limit=1000', operator);
    return page.body.entries.filter((e) => e.request_id === id);
  };
  const as = (id: string) => ({ 'x-request-id': id });

  it('on entries written with a stored change, directly, and for refusals', async () => {
    const created = await http.post<{ id: string }>(
      '/api/v1/tasks',
      operator,
      { title: 'rid' },
      as('rid-create'),
    );
    expect(created.status).toBe(201);
    const claim = await http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
      as('rid-claim'),
    );
    expect(claim.status).toBe(200);
    const call = {
      task_id: claim.body.task.id,
      phase_token: claim.body.phase_token,
      tool_name: 'read_files',
      args: {},
    };
    expect((await http.post('/api/v1/tools/authorize', agent, call, as('rid-authorize'))).status).toBe(200);
    const stale = await http.post(
      '/api/v1/tools/authorize',
      agent,
      { ...call, phase_token: `${claim.body.phase_token}x` },
      as('rid-bad-phase-token'),
    );
    expect(stale.status).toBe(401);
    const mint = await http.post(
      '/api/v1/auth/tokens',
      admin,
      { role: 'agent', subject: 'rid-new' },
      as('rid-mint'),
    );
    expect(mint.status).toBe(201);
    const forged = await fetch(`${server.url}/api/v1/tasks`, {
      headers: { authorization: 'Bearer not.a.token', 'x-request-id': 'rid-forged' },
    });
    expect(forged.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));

    expect(await entriesOf('rid-create')).toEqual([expect.objectContaining({ action: 'task.create' })]);
    expect(await entriesOf('rid-claim')).toEqual([expect.objectContaining({ action: 'task.claim' })]);
    expect(await entriesOf('rid-authorize')).toEqual([
      expect.objectContaining({ action: 'tool.authorize', decision: 'allowed' }),
    ]);
    expect(await entriesOf('rid-bad-phase-token')).toEqual([
      expect.objectContaining({ action: 'auth.failure', decision: 'denied' }),
    ]);
    expect(await entriesOf('rid-mint')).toEqual([expect.objectContaining({ action: 'token.mint' })]);
    expect(await entriesOf('rid-forged')).toEqual([expect.objectContaining({ action: 'auth.failure' })]);
  });

  it('concurrent requests each keep their own request id', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `rid-concurrent-${i}`);
    await Promise.all(ids.map((id) => http.post('/api/v1/tasks', operator, { title: id }, as(id))));
    await new Promise((r) => setTimeout(r, 200));
    const page = await http.get<{ entries: Entry[] }>(
      '/api/v1/audit/query?action=task.create&limit=1000',
      operator,
    );
    const mine = page.body.entries.filter((e) => e.request_id?.startsWith('rid-concurrent-'));
    expect(mine).toHaveLength(ids.length);
    expect(new Set(mine.map((e) => e.request_id))).toEqual(new Set(ids));
  });
});
