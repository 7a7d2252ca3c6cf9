import { join, resolve } from 'node:path';
import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const DIGEST = /^sha256:[0-9a-f]{64}$/;

interface TaskView {
  id: string;
  phase: string;
  artifacts: Record<string, Record<string, unknown>>;
  approvals: Array<{ by: string; decision: string; digest: string; artifacts: string[] }>;
  approval_requests: Array<{ gate_id: string; digest: string; by: string; artifacts: string[] }>;
}
interface Answer {
  allowed: boolean;
  phase: string;
  new_token?: string;
  blockers: string[];
  blocker_details: Array<{ check: string; message: string; digest?: string }>;
}
interface AuditEntries {
  entries: Array<{
    action: string;
    actor: string;
    decision: string;
    success: boolean;
    details: Record<string, unknown>;
  }>;
}

const plan = (criteria: string[]) => ({
  plan_document: { title: 'Rate limits', acceptance_criteria: criteria, implementation_steps: ['do it'] },
});

/**
 * Issue 14, against a production-mode server: a gate's `approvers` are enforced, an approval is
 * bound to the digest of the artifacts it approved, and approving nothing is refused.
 */
describe('approval gates over HTTP (production mode)', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const creator = accessToken('operator', 'op-1');
  const lead = accessToken('operator', 'lead-reviewer');
  const admin = accessToken('admin', 'root');

  beforeAll(async () => {
    server = await startServer({
      env: {
        NODE_ENV: 'production',
        ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/approvers_workflow.yaml'),
      },
    });
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  async function claimNew(agentSub: string): Promise<{ id: string; agent: string; token: string }> {
    // Above every task left queued by an earlier test.
    const created = await http.post<{ id: string }>('/api/v1/tasks', creator, {
      title: `for ${agentSub}`,
      priority: 1000,
    });
    expect(created.status).toBe(201);
    const agent = accessToken('agent', agentSub);
    const claim = await http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.status).toBe(200);
    expect(claim.body.task.id).toBe(created.body.id);
    return { id: created.body.id, agent, token: claim.body.phase_token };
  }

  const move = (t: { id: string; agent: string; token: string }, artifacts: Record<string, unknown>) =>
    http.post<Answer>('/api/v1/tasks/transition', t.agent, {
      task_id: t.id,
      current_phase: 'PLAN',
      target_phase: 'BUILD',
      phase_token: t.token,
      artifacts,
    });
  const approve = (id: string, token: string, body: Record<string, unknown> = {}) =>
    http.post<TaskView & { code?: string; message?: string }>(
      `/api/v1/tasks/${id}/gates/plan_approved/approve`,
      token,
      body,
    );
  const task = async (id: string) => (await http.get<TaskView>(`/api/v1/tasks/${id}`, creator)).body;
  const audit = async (id: string, action: string) =>
    (await http.get<AuditEntries>(`/api/v1/audit/query?task_id=${id}&action=${action}`, creator)).body
      .entries;

  it('refuses an operator the gate does not name: 403 not_an_approver, audited, and the gate stays shut', async () => {
    const t = await claimNew('agent-a');
    expect((await move(t, plan(['works']))).body.blocker_details.map((b) => b.check)).toEqual([
      'approval_required',
    ]);

    const refused = await approve(t.id, accessToken('operator', 'op-2'), { comment: 'lgtm' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'not_an_approver' });
    expect(refused.body.message ?? '').toContain('subject lead-reviewer or role admin');
    // An operator whose subject is spelled like an approver role is not that role.
    expect((await approve(t.id, accessToken('operator', 'admin'))).body).toMatchObject({
      code: 'not_an_approver',
    });
    // An agent token never reaches the route.
    expect((await approve(t.id, t.agent)).status).toBe(403);

    const entries = await audit(t.id, 'task.approve');
    expect(entries[entries.length - 1]).toMatchObject({
      actor: 'op-2',
      decision: 'denied',
      success: false,
      details: { gate: 'plan_approved', code: 'not_an_approver' },
    });
    expect((await task(t.id)).approvals).toEqual([]);
    expect((await move(t, plan(['works']))).body.allowed).toBe(false);

    // The named subject and the named role may.
    expect((await approve(t.id, lead)).status).toBe(200);
    expect((await move(t, plan(['works']))).body).toMatchObject({ allowed: true, phase: 'BUILD' });
    const t2 = await claimNew('agent-b');
    await move(t2, plan(['works']));
    expect((await approve(t2.id, admin)).status).toBe(200);
  });

  it('refuses an approval before any artifacts were submitted: 409 nothing_to_approve, audited', async () => {
    const queued = await http.post<{ id: string }>('/api/v1/tasks', creator, {
      title: 'still queued',
      priority: -1000,
    });
    const early = await approve(queued.body.id, lead);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ code: 'nothing_to_approve' });
    expect((await audit(queued.body.id, 'task.approve'))[0]).toMatchObject({
      decision: 'denied',
      details: { code: 'nothing_to_approve' },
    });

    // Claimed, but the submission failed a check: still nothing to approve.
    const t = await claimNew('agent-c');
    expect((await move(t, plan([]))).body.blocker_details.map((b) => b.check)).toContain(
      'plan_has_acceptance_criteria',
    );
    expect((await approve(t.id, lead)).body).toMatchObject({ code: 'nothing_to_approve' });
  });

  it('binds the approval to the digest of the artifacts: others are refused, the same pass', async () => {
    const t = await claimNew('agent-d');
    const blocked = await move(t, plan(['A works']));
    const digest = blocked.body.blocker_details[0]?.digest;
    expect(digest).toMatch(DIGEST);

    // The task view shows what waits for approval, and its digest.
    const view = await task(t.id);
    expect(view.approval_requests).toEqual([
      expect.objectContaining({
        gate_id: 'plan_approved',
        digest,
        by: 'agent-d',
        artifacts: ['plan_document'],
      }),
    ]);
    expect(view.artifacts['PLAN']).toEqual(plan(['A works']));

    // The agent's own subject with an approver's token (admin) may not approve its own work.
    const self = await approve(t.id, accessToken('admin', 'agent-d'));
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ code: 'self_approval' });

    // A digest that is not one is bad input, and changes nothing.
    const malformed = await approve(t.id, lead, { digest: 'md5:0123' });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'validation_failed' });
    expect((await task(t.id)).approvals).toEqual([]);

    const approved = await approve(t.id, lead, { digest, comment: 'plan A is fine' });
    expect(approved.status).toBe(200);
    expect(approved.body.approvals).toEqual([
      expect.objectContaining({
        by: 'lead-reviewer',
        decision: 'approved',
        digest,
        artifacts: ['plan_document'],
      }),
    ]);
    expect((await audit(t.id, 'task.approve'))[0]).toMatchObject({
      actor: 'lead-reviewer',
      decision: 'allowed',
      details: { gate: 'plan_approved', digest },
    });
    const events = await http.get<{ events: Array<{ type: string; data: Record<string, unknown> }> }>(
      `/api/v1/events?task_id=${t.id}&type=gate.approved`,
      creator,
    );
    expect(events.body.events[0]?.data).toMatchObject({ gate: 'plan_approved', digest });

    // Different artifacts after the approval: refused, and they become the new request.
    const swapped = await move(t, plan(['A works', 'and also B, never reviewed']));
    expect(swapped.body.allowed).toBe(false);
    expect(swapped.body.blocker_details).toEqual([
      expect.objectContaining({
        check: 'approval_required',
        message: expect.stringContaining('approved for other artifacts'),
      }),
    ]);
    const newDigest = swapped.body.blocker_details[0]!.digest;
    expect(newDigest).not.toBe(digest);
    // An approval naming the old digest is refused: that is not what is there now.
    expect((await approve(t.id, lead, { digest })).body).toMatchObject({ code: 'approval_digest_mismatch' });
    // The approved plan again, in another key order, is the same artifacts: it passes.
    const same = await move(
      t,
      JSON.parse(
        '{"plan_document":{"implementation_steps":["do it"],"acceptance_criteria":["A works"],"title":"Rate limits"}}',
      ),
    );
    expect(same.body).toMatchObject({ allowed: true, phase: 'BUILD' });
    const done = await task(t.id);
    expect(done).toMatchObject({ phase: 'BUILD', approval_requests: [] });
    expect(done.artifacts['PLAN']).toEqual(plan(['A works']));
  });

  it('re-sending the approved artifacts (or none) passes the gate', async () => {
    const t = await claimNew('agent-e');
    await move(t, plan(['works']));
    expect((await approve(t.id, lead)).status).toBe(200);
    const passed = await move(t, {});
    expect(passed.body).toMatchObject({ allowed: true, phase: 'BUILD' });
  });
});
