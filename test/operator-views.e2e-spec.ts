import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { api } from './support/api.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const WORKFLOW = join(ROOT, 'test/fixtures/workflows/approvers_workflow.yaml');

interface BlockedOn {
  at: string;
  phase: string;
  to_phase: string;
  gate_id: string | null;
  approval_pending: boolean;
  approvers: string[];
  blockers: string[];
  blocker_details: Array<{ check: string; digest?: string }>;
}
interface TaskView {
  id: string;
  status: string;
  phase: string;
  holder: string | null;
  attempts: number;
  token_version: number;
  failure_reason: string | null;
  last_heartbeat_at: string | null;
  blocked_on: BlockedOn | null;
  history: Array<{ action: string; actor: string; reason: string | null }>;
  code?: string;
  message?: string;
}
interface Approvals {
  approvals: Array<{
    task_id: string;
    title: string;
    workflow: { name: string; version: string };
    phase: string;
    gate_id: string;
    approvers: string[];
    requested_at: string;
    requested_by: string;
    digest: string;
    artifacts: string[];
  }>;
}
interface Agents {
  denials_since: string;
  denials_truncated: boolean;
  agents: Array<{
    agent_id: string;
    tasks: Array<{
      task_id: string;
      title: string;
      phase: string;
      status: string;
      lease_expires_at: string | null;
      last_heartbeat_at: string | null;
    }>;
    last_seen_at: string | null;
    recent_denials: number;
    last_denial: {
      ts: string;
      task_id: string | null;
      tool_name: string | null;
      reason: string | null;
    } | null;
  }>;
}
interface AuditPage {
  entries: Array<{
    seq: number;
    actor: string;
    role: string | null;
    action: string;
    decision: string;
    task_id: string | null;
    details: Record<string, unknown>;
  }>;
}

const plan = (criteria: string[]) => ({
  plan_document: { title: 'Views', acceptance_criteria: criteria, implementation_steps: ['do it'] },
});

interface Backend {
  name: string;
  start(): Promise<ServerProcess>;
  stop(): Promise<void>;
}

let db: TestDatabase | null = null;
const backends: Backend[] = [
  {
    name: 'file',
    start: () => startServer({ env: { ORCHESTRATOR_WORKFLOW_FILE: WORKFLOW } }),
    stop: async () => undefined,
  },
  {
    name: 'postgres',
    start: async () => {
      db = await createTestDatabase();
      const keyFile = join(tempDir(), 'audit-signing-key.pem');
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      return startServer({
        configYaml: 'state:\n  backend: postgres\n',
        env: {
          ORCHESTRATOR_WORKFLOW_FILE: WORKFLOW,
          ORCHESTRATOR_DATABASE_URL: db.url,
          ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile,
        },
      });
    },
    stop: async () => {
      await db?.drop();
      db = null;
    },
  },
];

/** Issue 20 item 1, the operator API, against the real server on the file and postgres backends. */
describe.each(backends)('operator views and requeue over HTTP ($name backend)', (backend) => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  const operator = accessToken('operator', 'op-views');
  const lead = accessToken('operator', 'lead-reviewer');
  let priority = 1000;

  beforeAll(async () => {
    server = await backend.start();
    http = api(server.url);
  });
  afterAll(async () => {
    await disposeServer(server);
    await backend.stop();
  });

  /** A new task, claimed by `agentSub` (each above every task left queued before). */
  async function claimNew(
    agentSub: string,
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; agent: string; token: string }> {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: `for ${agentSub}`,
      priority: ++priority,
      ...extra,
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
    http.post<{ allowed: boolean; new_token?: string }>('/api/v1/tasks/transition', t.agent, {
      task_id: t.id,
      current_phase: 'PLAN',
      target_phase: 'BUILD',
      phase_token: t.token,
      artifacts,
    });
  const task = async (id: string) => (await http.get<TaskView>(`/api/v1/tasks/${id}`, operator)).body;
  const listed = async (id: string) =>
    (await http.get<{ tasks: TaskView[] }>('/api/v1/tasks?limit=500', operator)).body.tasks.find(
      (t) => t.id === id,
    );
  const requeue = (id: string, token: string, body?: unknown) =>
    http.post<TaskView>(`/api/v1/tasks/${id}/requeue`, token, body);

  it('refuses agents (403) and anonymous callers (401) on every new route', async () => {
    const agent = accessToken('agent', 'agent-nosy');
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'x', priority: -1 });
    for (const answer of [
      await http.get('/api/v1/approvals', agent),
      await http.get('/api/v1/agents', agent),
      await requeue(created.body.id, agent, {}),
      await http.get('/api/v1/audit/query?decision=denied', agent),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.body).toMatchObject({ code: 'insufficient_role' });
    }
    expect((await http.get('/api/v1/agents')).status).toBe(401);
    expect((await http.get('/api/v1/approvals')).status).toBe(401);
    expect((await requeue(created.body.id, '', {})).status).toBe(401);
  });

  it('shows blocked_on in detail and list, the approval pending, and lists the approval until it is decided', async () => {
    const t = await claimNew('agent-blocked');
    expect((await task(t.id)).blocked_on).toBeNull();

    // A failing check: blocked, no approval asked for.
    expect((await move(t, plan([]))).body.allowed).toBe(false);
    const failing = (await task(t.id)).blocked_on!;
    expect(failing).toMatchObject({
      phase: 'PLAN',
      to_phase: 'BUILD',
      gate_id: 'plan_approved',
      approval_pending: false,
      approvers: ['lead-reviewer', 'admin'],
    });
    expect(failing.blocker_details.map((b) => b.check)).toContain('plan_has_acceptance_criteria');
    expect(failing.blockers.length).toBe(failing.blocker_details.length);
    expect((await listed(t.id))!.blocked_on).toEqual(failing);

    // Only the approval is missing: pending, and listed.
    expect((await move(t, plan(['works']))).body.allowed).toBe(false);
    const waiting = (await task(t.id)).blocked_on!;
    expect(waiting).toMatchObject({ approval_pending: true, gate_id: 'plan_approved' });
    expect(waiting.blocker_details.map((b) => b.check)).toEqual(['approval_required']);
    const digest = waiting.blocker_details[0]!.digest!;
    const pending = (await http.get<Approvals>('/api/v1/approvals', operator)).body.approvals;
    expect(pending.filter((a) => a.task_id === t.id)).toEqual([
      {
        task_id: t.id,
        title: 'for agent-blocked',
        workflow: { name: 'approvers_workflow', version: '1' },
        phase: 'PLAN',
        gate_id: 'plan_approved',
        approvers: ['lead-reviewer', 'admin'],
        requested_at: expect.any(String),
        requested_by: 'agent-blocked',
        digest,
        artifacts: ['plan_document'],
      },
    ]);

    const approved = await http.post(`/api/v1/tasks/${t.id}/gates/plan_approved/approve`, lead, { digest });
    expect(approved.status).toBe(200);
    expect((await task(t.id)).blocked_on).toMatchObject({ approval_pending: false });
    const after = (await http.get<Approvals>('/api/v1/approvals', operator)).body.approvals;
    expect(after.some((a) => a.task_id === t.id)).toBe(false);

    // It moves on: cleared.
    expect((await move(t, {})).body.allowed).toBe(true);
    expect((await task(t.id)).blocked_on).toBeNull();
    expect((await listed(t.id))!.blocked_on).toBeNull();
  });

  it('requeues a failed task with its attempts reset: audited, announced, claimable again', async () => {
    const t = await claimNew('agent-fails', { max_attempts: 1 });
    const failed = await http.post(`/api/v1/tasks/${t.id}/fail`, t.agent, {
      reason: 'runner died',
      phase_token: t.token,
    });
    expect(failed.status).toBe(200);
    const dead = await task(t.id);
    expect(dead).toMatchObject({ status: 'failed', attempts: 1 });

    // Keeping the count: no attempts left.
    const keep = await requeue(t.id, operator, { reset_attempts: false });
    expect(keep.status).toBe(409);
    expect(keep.body).toMatchObject({ code: 'no_attempts_left' });
    expect((await task(t.id)).status).toBe('failed');

    const back = await requeue(t.id, operator, { reason: 'runner fixed' });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({
      id: t.id,
      status: 'queued',
      holder: null,
      attempts: 0,
      failure_reason: null,
      blocked_on: null,
      token_version: dead.token_version + 1,
    });
    expect(back.body.history.at(-1)).toMatchObject({
      action: 'requeued',
      actor: 'op-views',
      reason: 'runner fixed',
    });

    // Refused now that it is queued.
    const again = await requeue(t.id, operator, {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'task_not_requeueable' });

    const audit = await http.get<AuditPage>(
      `/api/v1/audit/query?task_id=${t.id}&action=task.requeue`,
      operator,
    );
    expect(audit.body.entries.map((e) => [e.decision, e.details['code'] ?? null])).toEqual([
      ['denied', 'task_not_requeueable'],
      ['allowed', null],
      ['denied', 'no_attempts_left'],
    ]);
    expect(audit.body.entries[1]).toMatchObject({
      actor: 'op-views',
      role: 'operator',
      details: { from_status: 'failed', reset_attempts: true, attempts_before: 1, attempts: 0 },
    });
    const events = await http.get<{
      events: Array<{ type: string; actor: string; data: Record<string, unknown> }>;
    }>(`/api/v1/events?task_id=${t.id}&type=task.requeued`, operator);
    expect(events.body.events).toEqual([
      expect.objectContaining({
        type: 'task.requeued',
        actor: 'op-views',
        data: expect.objectContaining({ from_status: 'failed', reset_attempts: true, attempts: 0 }),
      }),
    ]);

    const agent = accessToken('agent', 'agent-second-try');
    const claim = await http.post<{ task: { id: string; attempts: number } }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.body.task).toMatchObject({ id: t.id, attempts: 1 });
  });

  it('requeues a cancelled task keeping its attempts; refuses bad input with 4xx', async () => {
    const t = await claimNew('agent-cancelled', { max_attempts: 3 });
    expect((await http.post(`/api/v1/tasks/${t.id}/cancel`, operator, {})).status).toBe(200);
    for (const body of [
      { reset_attempts: 'yes' },
      { reason: 42 },
      { reason: 'x'.repeat(2001) },
      { unknown_field: true },
    ]) {
      const bad = await requeue(t.id, operator, body);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'validation_failed' });
    }
    const missing = await requeue('no-such-task', operator, {});
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'task_not_found' });
    // No body at all is fine (defaults).
    const back = await requeue(t.id, operator);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ status: 'queued', attempts: 0 });
    const another = await claimNew('agent-done', { max_attempts: 3 });
    expect((await http.post(`/api/v1/tasks/${another.id}/cancel`, operator, {})).status).toBe(200);
    const kept = await requeue(another.id, operator, { reset_attempts: false });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ status: 'queued', attempts: 1 });
  });

  it('shows agents: held tasks with lease and heartbeat, and their denials in the last hour', async () => {
    const t = await claimNew('agent-watched');
    const beat = await http.post<{ lease_expires_at: string }>(`/api/v1/tasks/${t.id}/heartbeat`, t.agent, {
      phase_token: t.token,
    });
    expect(beat.status).toBe(200);
    const denied = await http.post<{ allowed: boolean }>('/api/v1/tools/authorize', t.agent, {
      task_id: t.id,
      phase_token: t.token,
      tool_name: 'bash',
      args: { command: 'rm -rf /' },
    });
    expect(denied.body.allowed).toBe(false);

    const view = await http.get<Agents>('/api/v1/agents', operator);
    expect(view.status).toBe(200);
    expect(Date.parse(view.body.denials_since)).toBeGreaterThan(Date.now() - 3_700_000);
    expect(view.body.denials_truncated).toBe(false);
    const watched = view.body.agents.find((a) => a.agent_id === 'agent-watched')!;
    const held = (await task(t.id)) as TaskView & { lease_expires_at: string };
    expect(watched).toEqual({
      agent_id: 'agent-watched',
      tasks: [
        {
          task_id: t.id,
          title: 'for agent-watched',
          phase: 'PLAN',
          status: 'claimed',
          lease_expires_at: held.lease_expires_at,
          last_heartbeat_at: held.last_heartbeat_at,
        },
      ],
      last_seen_at: expect.any(String),
      recent_denials: 1,
      last_denial: { ts: expect.any(String), task_id: t.id, tool_name: 'bash', reason: expect.any(String) },
    });
    expect(held.last_heartbeat_at).not.toBeNull();
    expect(watched.last_seen_at! >= held.last_heartbeat_at!).toBe(true);
    expect(beat.body.lease_expires_at).toBe(held.lease_expires_at);
    // Agents are sorted; one that holds nothing and was never denied is not listed.
    const ids = view.body.agents.map((a) => a.agent_id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).not.toContain('agent-nosy');
  });

  it('filters the audit query by decision, actor and role, and refuses malformed filters with 400', async () => {
    const t = await claimNew('agent-audited');
    await http.post('/api/v1/tools/authorize', t.agent, {
      task_id: t.id,
      phase_token: t.token,
      tool_name: 'bash',
      args: { command: 'ls' },
    });
    await http.post('/api/v1/tools/authorize', t.agent, {
      task_id: t.id,
      phase_token: t.token,
      tool_name: 'read_files',
      args: { paths: ['README.md'] },
    });
    const q = async (query: string) =>
      (await http.get<AuditPage>(`/api/v1/audit/query?${query}`, operator)).body.entries;
    const mine = await q('actor=agent-audited');
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((e) => e.actor === 'agent-audited')).toBe(true);
    const denials = await q('actor=agent-audited&decision=denied');
    expect(denials.map((e) => [e.action, e.decision])).toEqual([['tool.authorize', 'denied']]);
    expect(
      (await q('decision=denied&role=agent')).every((e) => e.role === 'agent' && e.decision === 'denied'),
    ).toBe(true);
    expect(await q('actor=agent-audited&role=operator')).toEqual([]);
    for (const bad of [
      'decision=Not%20A%20Decision',
      `actor=${'a'.repeat(201)}`,
      'role=',
      'actor=',
      'decision=',
    ]) {
      const answer = await http.get(`/api/v1/audit/query?${bad}`, operator);
      expect([bad, answer.status]).toEqual([bad, 400]);
      expect(answer.body).toMatchObject({ code: 'validation_failed' });
    }
  });

  it('documents the new routes in OpenAPI with answer DTOs', async () => {
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths['/api/v1/approvals']?.['get']?.responses['200']?.content).toBeDefined();
    expect(doc.paths['/api/v1/agents']?.['get']?.responses['200']?.content).toBeDefined();
    expect(doc.paths['/api/v1/tasks/{id}/requeue']?.['post']?.responses['200']?.content).toBeDefined();
    expect(Object.keys(doc.components.schemas['TaskSummaryDto']!.properties!)).toEqual(
      expect.arrayContaining(['blocked_on', 'last_heartbeat_at']),
    );
    expect(Object.keys(doc.components.schemas['BlockedOnDto']!.properties!)).toEqual(
      expect.arrayContaining(['approval_pending', 'approvers', 'blockers', 'blocker_details']),
    );
  });
});
