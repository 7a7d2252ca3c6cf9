import { accessToken, claimsOf } from '../support/tokens.js';
import { startCluster, type Cluster, type Instance } from './support/cluster.js';
import { allAudit, type TaskDetail } from './support/reads.js';

interface Claimed {
  task: { id: string };
  phase_token: string;
}
interface Moved {
  allowed: boolean;
  phase: string;
  new_token: string | null;
  [field: string]: unknown;
}

/**
 * What one instance decides, the others must decide the same way at once: nothing here may
 * live in one process's memory (phase token versions, idempotency records, revocations).
 */
describe('one truth across three instances', () => {
  let cluster: Cluster;
  let A: Instance, B: Instance, C: Instance;
  const operator = accessToken('operator', 'multi-truth-op');
  beforeAll(async () => {
    cluster = await startCluster();
    [A, B, C] = cluster.instances as [Instance, Instance, Instance];
  }, 60_000);
  afterAll(() => cluster?.dispose());

  /** A new task, claimed on `on` by `agent`. */
  async function claimed(on: Instance, agent: string): Promise<Claimed> {
    expect((await on.http.post('/api/v1/tasks', operator, { title: `truth ${agent}` })).status).toBe(201);
    const claim = await on.http.post<Claimed>('/api/v1/tasks/claim', accessToken('agent', agent), {});
    expect(claim.status).toBe(200);
    return claim.body;
  }

  const move = (on: Instance, agent: string, body: Record<string, unknown>, key?: string) =>
    on.http.post<Moved & { code?: string }>(
      '/api/v1/tasks/transition',
      accessToken('agent', agent),
      { current_phase: 'BUILD', target_phase: 'CHECK', artifacts: {}, ...body },
      key ? { 'idempotency-key': key } : undefined,
    );

  it('a phase token made stale on A is refused on B and C; its successor works anywhere', async () => {
    const { task, phase_token: first } = await claimed(A, 'truth-stale');
    const moved = await move(A, 'truth-stale', { task_id: task.id, phase_token: first });
    expect(moved.body).toMatchObject({ allowed: true, phase: 'CHECK' });
    for (const other of [B, C]) {
      const replayed = await move(other, 'truth-stale', { task_id: task.id, phase_token: first });
      expect([other.name, replayed.status, replayed.body.code]).toEqual([
        other.name,
        403,
        'stale_phase_token',
      ]);
      const beat = await other.http.post<{ code: string }>(
        `/api/v1/tasks/${task.id}/heartbeat`,
        accessToken('agent', 'truth-stale'),
        {},
        { 'x-phase-token': first },
      );
      expect([other.name, beat.status, beat.body.code]).toEqual([other.name, 403, 'stale_phase_token']);
    }
    // The new token moves the task on C; then it is stale on A and B.
    const second = moved.body.new_token!;
    const onC = await move(C, 'truth-stale', {
      task_id: task.id,
      current_phase: 'CHECK',
      target_phase: 'DONE',
      phase_token: second,
    });
    expect(onC.body).toMatchObject({ allowed: true, phase: 'DONE' });
    for (const other of [A, B]) {
      const again = await move(other, 'truth-stale', {
        task_id: task.id,
        current_phase: 'CHECK',
        target_phase: 'DONE',
        phase_token: second,
      });
      expect([other.name, again.status, again.body.code]).toEqual([other.name, 403, 'stale_phase_token']);
    }
  });

  it('the same Idempotency-Key sent to A and B at once is applied once, with the same answer', async () => {
    const ROUNDS = 8;
    for (let round = 0; round < ROUNDS; round++) {
      const agent = `truth-idem-${round}`;
      const { task, phase_token } = await claimed(C, agent);
      const key = `multi-idem-${round}`;
      const [onA, onB] = await Promise.all(
        [A, B].map((on) => move(on, agent, { task_id: task.id, phase_token }, key)),
      );
      expect([onA!.status, onB!.status]).toEqual([200, 200]);
      const { new_token: tokenA, ...answerA } = onA!.body;
      const { new_token: tokenB, ...answerB } = onB!.body;
      expect(answerA).toEqual(answerB);
      expect(answerA).toMatchObject({ allowed: true, phase: 'CHECK' });
      // Both tokens are for the one version the single application produced.
      const [claimsA, claimsB] = [claimsOf(tokenA!), claimsOf(tokenB!)];
      for (const field of ['sub', 'task_id', 'phase', 'ver'])
        expect([field, claimsA[field]]).toEqual([field, claimsB[field]]);
      const detail = await C.http.get<TaskDetail>(`/api/v1/tasks/${task.id}`, operator);
      expect(detail.body.history.filter((h) => h.action === 'transitioned')).toHaveLength(1);
      const audited = await allAudit(C.http, operator, `&task_id=${task.id}&action=task.transition`);
      expect(audited).toHaveLength(1);
      // A third copy, on C, later: answered as the first, still not applied again.
      const third = await move(C, agent, { task_id: task.id, phase_token }, key);
      const { new_token: tokenC, ...answerC } = third.body;
      expect(answerC).toEqual(answerA);
      expect(claimsOf(tokenC!).ver).toBe(claimsA.ver);
      // The same key with another request is refused on every instance.
      for (const on of [A, B, C]) {
        const reused = await move(on, agent, { task_id: task.id, phase_token, target_phase: 'DONE' }, key);
        expect([on.name, reused.status, reused.body.code]).toEqual([on.name, 409, 'idempotency_key_reused']);
      }
    }
  });

  it('a revocation made on A holds on B and C at once', async () => {
    const victim = accessToken('operator', 'truth-victim');
    // Used on every instance first, so any per-process cache has seen it as valid.
    for (const on of [A, B, C]) expect((await on.http.get('/api/v1/tasks?limit=1', victim)).status).toBe(200);
    const admin = accessToken('admin', 'truth-admin');
    expect((await A.http.post('/api/v1/auth/revoke', admin, { token: victim })).status).toBe(200);
    for (const on of [A, B, C]) {
      const refused = await on.http.get<{ code: string }>('/api/v1/tasks?limit=1', victim);
      expect([on.name, refused.status, refused.body.code]).toEqual([on.name, 401, 'token_revoked']);
    }
    // A refresh with rotation on B revokes the old token on A and C too.
    const rotating = accessToken('operator', 'truth-rotating');
    const refreshed = await B.http.post<{ access_token: string }>('/api/v1/auth/refresh', rotating);
    expect(refreshed.status).toBe(200);
    for (const on of [A, C]) {
      const old = await on.http.get<{ code: string }>('/api/v1/tasks?limit=1', rotating);
      expect([on.name, old.status, old.body.code]).toEqual([on.name, 401, 'token_revoked']);
      expect((await on.http.get('/api/v1/tasks?limit=1', refreshed.body.access_token)).status).toBe(200);
    }
  });

  it('racing refreshes of one token spread over A, B and C yield one new token', async () => {
    const original = accessToken('operator', 'truth-refresh-race');
    const answers = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        [A, B, C][i % 3]!.http.post<{ code?: string; access_token?: string }>(
          '/api/v1/auth/refresh',
          original,
        ),
      ),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    for (const lost of answers.filter((r) => r.status !== 200))
      expect([lost.status, lost.body.code]).toEqual([401, 'token_revoked']);
  });
});
