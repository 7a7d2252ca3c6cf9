import { handInAndApprove } from './support/approval.js';
import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { accessToken, claimsOf } from './support/tokens.js';
import {
  completeArtifacts,
  implArtifacts,
  planArtifacts,
  reviewArtifacts,
  tddArtifacts,
} from './fixtures/artifacts.js';

interface Claimed {
  task: { id: string; phase: string; status: string };
  phase_token: string;
  phase: string;
  allowed_tools: string[];
}
interface TransitionAnswer {
  allowed: boolean;
  phase: string;
  new_token?: string;
  blockers: string[];
  blocker_details: Array<{ check: string; message: string }>;
  warnings: unknown[];
}

describe('a task walks the default workflow over HTTP', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'op-1');
  const agent = accessToken('agent', 'agent-1');

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
  });
  afterAll(() => disposeServer(server));

  it('claims, is blocked, gets approval, transitions to COMPLETE and completes; the dependant then becomes claimable', async () => {
    const first = await http.post<{ id: string; status: string; phase: string }>('/api/v1/tasks', operator, {
      title: 'Rate-limit the API',
      priority: 5,
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: 'queued', phase: 'PLAN' });
    const dependant = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Document rate limits',
      dependencies: [first.body.id],
      priority: 100,
    });
    expect(dependant.status).toBe(201);

    // The dependant has the higher priority but is not eligible yet.
    const claim = await http.post<Claimed>('/api/v1/tasks/claim', agent, { capabilities: [] });
    expect(claim.status).toBe(200);
    expect(claim.body.task.id).toBe(first.body.id);
    expect(claim.body.phase).toBe('PLAN');
    expect(claim.body.allowed_tools).toContain('read_files');
    expect(claimsOf(claim.body.phase_token)).toMatchObject({
      typ: 'phase',
      sub: 'agent-1',
      task_id: first.body.id,
      phase: 'PLAN',
    });
    expect((await http.post('/api/v1/tasks/claim', accessToken('agent', 'agent-2'), {})).status).toBe(204);

    let token = claim.body.phase_token;
    const move = (from: string, to: string, artifacts: Record<string, unknown>) =>
      http.post<TransitionAnswer>('/api/v1/tasks/transition', agent, {
        task_id: first.body.id,
        current_phase: from,
        target_phase: to,
        phase_token: token,
        artifacts,
      });

    const missing = await move('PLAN', 'TDD', {});
    expect(missing.status).toBe(200);
    expect(missing.body.allowed).toBe(false);
    expect(missing.body.blocker_details.map((b) => b.check)).toEqual(
      expect.arrayContaining(['artifact_required']),
    );

    const unapproved = await move('PLAN', 'TDD', planArtifacts);
    expect(unapproved.body.allowed).toBe(false);
    expect(unapproved.body.blocker_details.map((b) => b.check)).toEqual(['approval_required']);

    const approval = await http.post(`/api/v1/tasks/${first.body.id}/gates/plan_approved/approve`, operator, {
      comment: 'ok',
    });
    expect(approval.status).toBe(200);

    const toTdd = await move('PLAN', 'TDD', planArtifacts);
    expect(toTdd.body).toMatchObject({ allowed: true, phase: 'TDD' });
    expect(toTdd.body.new_token).toBeDefined();
    const stale = token;
    token = toTdd.body.new_token!;

    const replayedStale = await http.post('/api/v1/tasks/transition', agent, {
      task_id: first.body.id,
      current_phase: 'TDD',
      target_phase: 'IMPL',
      phase_token: stale,
      artifacts: tddArtifacts,
    });
    expect(replayedStale.status).toBe(403);
    expect(replayedStale.body).toMatchObject({ code: 'stale_phase_token' });

    const toImpl = await move('TDD', 'IMPL', tddArtifacts);
    expect(toImpl.body).toMatchObject({ allowed: true, phase: 'IMPL' });
    token = toImpl.body.new_token!;
    const toReview = await move('IMPL', 'REVIEW', implArtifacts);
    expect(toReview.body).toMatchObject({ allowed: true, phase: 'REVIEW' });
    token = toReview.body.new_token!;
    const toComplete = await move('REVIEW', 'COMPLETE', reviewArtifacts);
    expect(toComplete.body).toMatchObject({ allowed: true, phase: 'COMPLETE' });
    token = toComplete.body.new_token!;

    const blockedCompletion = await http.post<{ completed: boolean; blockers: unknown[] }>(
      `/api/v1/tasks/${first.body.id}/complete`,
      agent,
      { phase_token: token, artifacts: {} },
    );
    expect(blockedCompletion.body.completed).toBe(false);
    const done = await http.post<{ completed: boolean; task: { status: string } }>(
      `/api/v1/tasks/${first.body.id}/complete`,
      agent,
      {
        phase_token: token,
        artifacts: completeArtifacts,
      },
    );
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ completed: true, task: { status: 'completed' } });

    const detail = await http.get<{ history: Array<{ action: string }>; artifacts: Record<string, unknown> }>(
      `/api/v1/tasks/${first.body.id}`,
      operator,
    );
    expect(detail.body.history.map((h) => h.action)).toEqual([
      'created',
      'claimed',
      'approval_requested',
      'approval_recorded',
      'transitioned',
      'transitioned',
      'transitioned',
      'transitioned',
      'completed',
    ]);
    expect(Object.keys(detail.body.artifacts)).toEqual(['PLAN', 'TDD', 'IMPL', 'REVIEW', 'COMPLETE']);

    const next = await http.post<Claimed>('/api/v1/tasks/claim', accessToken('agent', 'agent-2'), {});
    expect(next.status).toBe(200);
    expect(next.body.task.id).toBe(dependant.body.id);

    const events = await http.get<{ events: Array<{ type: string }> }>(
      `/api/v1/events?task_id=${first.body.id}&limit=100`,
      operator,
    );
    expect(events.body.events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'task.created',
        'task.claimed',
        'gate.blocked',
        'gate.approved',
        'gate.passed',
        'task.transitioned',
        'task.completed',
      ]),
    );
    expect(JSON.stringify(events.body)).not.toContain(token);

    const status = await http.get<{ tasks: Record<string, number> }>('/');
    expect(status.body.tasks).toMatchObject({ completed: 1, claimed: 1 });
  });

  it('an agent resumes a released task at its phase with its earlier artifacts', async () => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Resume me',
      priority: 1000,
    });
    const a = accessToken('agent', 'agent-r1');
    const claim = await http.post<Claimed>('/api/v1/tasks/claim', a, {});
    expect(claim.body.task.id).toBe(created.body.id);
    await handInAndApprove(http, a, operator, {
      task_id: created.body.id,
      phase_token: claim.body.phase_token,
      artifacts: planArtifacts,
    });
    const moved = await http.post<TransitionAnswer>('/api/v1/tasks/transition', a, {
      task_id: created.body.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.body.phase_token,
      artifacts: planArtifacts,
    });
    expect(moved.body.allowed).toBe(true);
    const released = await http.post(`/api/v1/tasks/${created.body.id}/release`, a, {
      phase_token: moved.body.new_token,
    });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ status: 'queued', phase: 'TDD', attempts: 1 });
  });
});
