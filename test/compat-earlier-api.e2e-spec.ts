/**
 * The earlier Python orchestrator's wire shapes (issue 16, docs/COMPATIBILITY.md): the requests
 * its agent SDK (`src/agent_sdk/client.py`) sends and the fields it and its tests read, driven
 * through one whole task. Only an Authorization header is added, and an operator creates the
 * queued task the claim needs (the earlier server made one up on every claim).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { api, type ApiResponse } from './support/api.js';
import { disposeServer, type ServerProcess, startServer } from './support/server-process.js';
import { accessToken } from './support/tokens.js';
import {
  completeArtifacts,
  implArtifacts,
  planArtifacts,
  reviewArtifacts,
  tddArtifacts,
} from './fixtures/artifacts.js';

const operator = accessToken('operator', 'compat-op');
const agent = accessToken('agent', 'compat-agent');
const otherAgent = accessToken('agent', 'compat-other');

interface EarlierClaim {
  task: { id: string; agent_id: string; capabilities: string[]; assigned_phase: string };
  phase_token: string;
  phase: string;
}
interface EarlierTransition {
  allowed: boolean;
  new_token: string | null;
  blockers: unknown[];
  blocker_details: Array<{ check: string; digest?: string }>;
}
interface ErrorAnswer {
  statusCode: number;
  code: string;
  message: string;
  detail: string;
}

/** What the earlier SDK's request_transition does with an answer: join the blockers, or take the token. */
function earlierSdkReads(answer: ApiResponse<EarlierTransition>): { token?: string; error?: string } {
  if (answer.status === 403) return { error: 'PermissionError: invalid or expired token' };
  if (answer.status >= 400) return { error: `HTTPStatusError ${answer.status}` };
  if (!answer.body.allowed) {
    // Python's '; '.join(blockers) raises TypeError unless every blocker is a string.
    if (!answer.body.blockers.every((b) => typeof b === 'string')) return { error: 'TypeError in join' };
    return { error: `Transition blocked: ${answer.body.blockers.join('; ')}` };
  }
  return { token: answer.body.new_token as string };
}

describe('the earlier Python orchestrator’s API shapes, through one whole task', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
    const workspace = join(server.dir, '.orchestrator', 'workspace');
    mkdirSync(join(workspace, 'docs'), { recursive: true });
    writeFileSync(join(workspace, 'docs', 'requirements.txt'), 'pytest>=7.0.0\n');
  });
  afterAll(() => disposeServer(server));

  it('claims, moves (blocked and allowed), uses tools, reads the snapshot and audit, completes', async () => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'Compat task' });
    expect(created.status).toBe(201);

    // claim_task(): {agent_id, capabilities}; reads task.id, phase_token, phase; its tests read task.agent_id.
    const claim = await http.post<EarlierClaim>('/api/v1/tasks/claim', agent, {
      agent_id: 'compat-agent',
      capabilities: ['python', 'testing'],
    });
    expect(claim.status).toBe(200);
    expect(claim.body.task).toMatchObject({
      id: created.body.id,
      agent_id: 'compat-agent',
      assigned_phase: 'PLAN',
      // Ours: what the task requires (nothing), not an echo of the agent's capabilities.
      capabilities: [],
    });
    expect(claim.body.phase).toBe('PLAN');
    const taskId = claim.body.task.id;
    let token = claim.body.phase_token;

    const execute = (tool: string, args: Record<string, unknown>, phaseToken = token) =>
      http.post<{ result: Record<string, unknown>; logged: boolean } & Partial<ErrorAnswer>>(
        '/api/v1/tools/execute',
        agent,
        { task_id: taskId, phase_token: phaseToken, tool_name: tool, args },
      );
    const transition = (current: string, target: string, artifacts: Record<string, unknown>) =>
      http.post<EarlierTransition>('/api/v1/tasks/transition', agent, {
        task_id: taskId,
        current_phase: current,
        target_phase: target,
        phase_token: token,
        artifacts,
      });

    // use_tool(): 200 → data["result"]; 403 → PermissionError; 400 → ValueError(detail).
    const read = await execute('read_files', { path: 'docs/requirements.txt' });
    expect(read.status).toBe(200);
    expect(read.body.logged).toBe(true);
    expect(JSON.stringify(read.body.result)).toContain('pytest');
    const forbidden = await execute('write_files', { path: 'src/x.py', content: 'code' });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toBe(forbidden.body.message);
    const failed = await execute('read_files', { path: 'docs/missing.txt' });
    expect(failed.status).toBe(400);
    expect(typeof failed.body.detail).toBe('string');
    expect(failed.body.detail).toBe(failed.body.message);

    // A blocked transition: 200, allowed false, new_token null, blockers the SDK can join.
    const blocked = await transition('PLAN', 'TDD', {});
    expect(blocked.status).toBe(200);
    expect(blocked.body).toMatchObject({ allowed: false, new_token: null });
    expect(blocked.body.blockers.length).toBeGreaterThan(0);
    expect(earlierSdkReads(blocked).error).toMatch(/^Transition blocked: \S/);
    expect(blocked.body.blocker_details.map((b) => b.check)).toContain('artifact_required');

    // The plan waits for an approval (ours: approval gates are enforced); an operator gives it.
    const waiting = await transition('PLAN', 'TDD', planArtifacts);
    expect(earlierSdkReads(waiting).error).toMatch(/^Transition blocked: /);
    const digest = waiting.body.blocker_details[0]?.digest;
    expect(
      (await http.post(`/api/v1/tasks/${taskId}/gates/plan_approved/approve`, operator, { digest })).status,
    ).toBe(200);

    for (const [from, to, artifacts] of [
      ['PLAN', 'TDD', planArtifacts],
      ['TDD', 'IMPL', tddArtifacts],
      ['IMPL', 'REVIEW', implArtifacts],
      ['REVIEW', 'COMPLETE', reviewArtifacts],
    ] as const) {
      const moved = await transition(from, to, artifacts);
      expect(moved.status).toBe(200);
      const read = earlierSdkReads(moved);
      expect(read.error).toBeUndefined();
      expect(moved.body.blockers).toEqual([]);
      token = read.token!;
      if (to === 'TDD') {
        // write_file(): {path, content}; the file is written.
        expect(
          (await execute('write_files', { path: 'tests/test_feature.py', content: 'def test(): pass\n' }))
            .status,
        ).toBe(200);
      }
    }

    // get_state_snapshot(): GET ?phase_token=; its tests read these four keys.
    const snapshot = await http.get<Record<string, unknown>>(
      `/api/v1/state/snapshot?phase_token=${encodeURIComponent(token)}`,
      agent,
    );
    expect(snapshot.status).toBe(200);
    expect(snapshot.body).toMatchObject({ current_phase: 'COMPLETE', completed_tasks: [] });
    expect(snapshot.body.blockers).toEqual(expect.any(Array));
    expect((snapshot.body.blockers as unknown[]).every((b) => typeof b === 'string')).toBe(true);
    expect(snapshot.body.task_dependencies).toEqual([]);

    const done = await http.post<{ completed: boolean; blockers: unknown[] }>(
      `/api/v1/tasks/${taskId}/complete`,
      agent,
      { phase_token: token, artifacts: completeArtifacts },
    );
    expect(done.body).toMatchObject({ completed: true, blockers: [] });

    // The audit API under the earlier names: entries' tool_name and timestamp, total, stats.
    const query = await http.get<{ entries: Array<Record<string, unknown>>; total: number }>(
      `/api/v1/audit/query?task_id=${taskId}&tool_name=read_files&limit=50`,
      operator,
    );
    expect(query.status).toBe(200);
    expect(query.body.total).toBe(query.body.entries.length);
    expect(query.body.entries.length).toBeGreaterThan(0);
    for (const entry of query.body.entries) {
      expect(entry.tool_name).toBe('read_files');
      expect(entry.tool_name).toBe(entry.tool);
      expect(entry.timestamp).toBe(entry.ts);
    }
    const recent = await http.get<Array<Record<string, unknown>>>('/api/v1/audit/recent?count=5', operator);
    expect(recent.body.every((e) => 'tool_name' in e && e.timestamp === e.ts)).toBe(true);
    const stats = await http.get<Record<string, unknown> & { by_tool: Record<string, { total: number }> }>(
      '/api/v1/audit/stats',
      operator,
    );
    expect(stats.body).toMatchObject({
      total_entries: stats.body.total,
      total_successes: stats.body.successes,
      total_failures: stats.body.failures,
    });
    expect((stats.body.tools_used as Record<string, number>).read_files).toBe(
      stats.body.by_tool.read_files!.total,
    );
    expect((stats.body.phases as Record<string, number>).PLAN).toBeGreaterThan(0);

    // The queue is empty now: 204, no body (the earlier server never had an empty queue).
    const empty = await http.post('/api/v1/tasks/claim', agent, { agent_id: 'compat-agent' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  /** A fresh task claimed by the agent. */
  async function claimNew(): Promise<EarlierClaim> {
    expect((await http.post('/api/v1/tasks', operator, { title: 'Compat item' })).status).toBe(201);
    const claim = await http.post<EarlierClaim>('/api/v1/tasks/claim', agent, { agent_id: 'compat-agent' });
    expect(claim.status).toBe(200);
    return claim.body;
  }

  it('item 5: the claimed task names its agent_id; capabilities stay the task’s requirement', async () => {
    const created = await http.post<{ id: string }>('/api/v1/tasks', operator, {
      title: 'Needs python',
      capabilities: ['python'],
    });
    const claim = await http.post<EarlierClaim>('/api/v1/tasks/claim', agent, {
      agent_id: 'compat-agent',
      capabilities: ['python', 'testing'],
    });
    expect(claim.body.task).toMatchObject({
      id: created.body.id,
      agent_id: 'compat-agent',
      assigned_phase: 'PLAN',
      capabilities: ['python'],
    });
  });

  it('item 2: a blocked transition answers new_token null and blockers as strings, findings in blocker_details', async () => {
    const claim = await claimNew();
    const blocked = await http.post<EarlierTransition>('/api/v1/tasks/transition', agent, {
      task_id: claim.task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: claim.phase_token,
      artifacts: {},
    });
    expect(blocked.status).toBe(200);
    expect(blocked.body.allowed).toBe(false);
    expect(blocked.body.new_token).toBeNull();
    expect(blocked.body.blockers.length).toBe(blocked.body.blocker_details.length);
    expect(blocked.body.blockers.every((b) => typeof b === 'string')).toBe(true);
    expect(blocked.body.blocker_details[0]).toMatchObject({
      check: 'artifact_required',
      severity: 'blocking',
    });
  });

  it('item 4: audit entries and stats carry the earlier names too', async () => {
    const entries = await http.get<{ entries: Array<Record<string, unknown>>; total: number }>(
      '/api/v1/audit/query?action=tool.*&limit=5',
      operator,
    );
    expect(entries.body.entries.length).toBeGreaterThan(0);
    expect(entries.body.total).toBe(entries.body.entries.length);
    expect(entries.body.entries.every((e) => e.tool_name === e.tool && e.timestamp === e.ts)).toBe(true);
    const stats = await http.get<Record<string, unknown>>('/api/v1/audit/stats', operator);
    expect(stats.body).toMatchObject({
      total_entries: stats.body.total,
      total_successes: stats.body.successes,
      total_failures: stats.body.failures,
      tools_used: expect.objectContaining({ read_files: expect.any(Number) }),
      phases: expect.objectContaining({ PLAN: expect.any(Number) }),
    });
  });

  it('every error body carries detail, the same text as message (404, 400 validation, 401, 415)', async () => {
    const answers = [
      await http.get<ErrorAnswer>('/api/v1/no-such-route', agent),
      await http.post<ErrorAnswer>('/api/v1/tasks', operator, { title: 7 }),
      await http.post<ErrorAnswer>('/api/v1/tasks/claim', 'not-a-token', {}),
      await http.post<ErrorAnswer>('/api/v1/tasks/claim', undefined, {}),
    ];
    const media = await fetch(`${server.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'text/plain' },
      body: '{"title":"x"}',
    });
    const mediaBody = (await media.json()) as ErrorAnswer;
    expect([...answers.map((a) => a.status), media.status]).toEqual([404, 400, 401, 401, 415]);
    for (const body of [...answers.map((a) => a.body), mediaBody]) {
      expect(typeof body.detail).toBe('string');
      expect(body.detail).toBe(body.message);
    }
  });

  it('the OpenAPI document names the earlier fields and the error body', async () => {
    const doc = (await (await fetch(`${server.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: unknown }> }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    const props = (name: string) => Object.keys(doc.components.schemas[name]?.properties ?? {});
    expect(props('ErrorBodyDto')).toEqual(
      expect.arrayContaining(['statusCode', 'code', 'message', 'detail']),
    );
    expect(doc.paths['/api/v1/tasks/transition']!.post!.responses['401']!.content).toEqual({
      'application/json': { schema: { $ref: '#/components/schemas/ErrorBodyDto' } },
    });
    expect(props('TransitionResponseDto')).toEqual(
      expect.arrayContaining(['blockers', 'blocker_details', 'new_token']),
    );
    expect(props('ClaimedTaskDto')).toEqual(expect.arrayContaining(['agent_id', 'assigned_phase']));
    expect(props('AuditEntryDto')).toEqual(expect.arrayContaining(['tool', 'tool_name', 'timestamp']));
    expect(props('AuditPageDto')).toContain('total');
    expect(props('AuditStatsDto')).toEqual(
      expect.arrayContaining(['total_entries', 'total_successes', 'total_failures', 'tools_used', 'phases']),
    );
  });
});

describe('a phase token is checked before the task it is presented for (no probing task ids)', () => {
  let server: ServerProcess;
  let http: ReturnType<typeof api>;
  let mine: EarlierClaim;
  let theirs: EarlierClaim;

  beforeAll(async () => {
    server = await startServer();
    http = api(server.url);
    for (const title of ['mine', 'theirs'])
      expect((await http.post('/api/v1/tasks', operator, { title })).status).toBe(201);
    mine = (await http.post<EarlierClaim>('/api/v1/tasks/claim', agent, {})).body;
    theirs = (await http.post<EarlierClaim>('/api/v1/tasks/claim', otherAgent, {})).body;
  });
  afterAll(() => disposeServer(server));

  /** Each agent route that takes a task id and a phase token, called for `taskId` with `phaseToken`. */
  const routes: Array<[string, (taskId: string, phaseToken: string) => Promise<ApiResponse<ErrorAnswer>>]> = [
    [
      'transition',
      (taskId, phaseToken) =>
        http.post('/api/v1/tasks/transition', agent, {
          task_id: taskId,
          current_phase: 'PLAN',
          target_phase: 'TDD',
          phase_token: phaseToken,
          artifacts: {},
        }),
    ],
    [
      'complete',
      (taskId, phaseToken) =>
        http.post(`/api/v1/tasks/${taskId}/complete`, agent, { phase_token: phaseToken }),
    ],
    [
      'heartbeat',
      (taskId, phaseToken) =>
        http.post(`/api/v1/tasks/${taskId}/heartbeat`, agent, { phase_token: phaseToken }),
    ],
    [
      'release',
      (taskId, phaseToken) =>
        http.post(`/api/v1/tasks/${taskId}/release`, agent, { phase_token: phaseToken }),
    ],
    [
      'fail',
      (taskId, phaseToken) =>
        http.post(`/api/v1/tasks/${taskId}/fail`, agent, { phase_token: phaseToken, reason: 'x' }),
    ],
    [
      'tools/execute',
      (taskId, phaseToken) =>
        http.post('/api/v1/tools/execute', agent, {
          task_id: taskId,
          phase_token: phaseToken,
          tool_name: 'read_files',
          args: { path: 'README.md' },
        }),
    ],
    [
      'tools/authorize',
      (taskId, phaseToken) =>
        http.post('/api/v1/tools/authorize', agent, {
          task_id: taskId,
          phase_token: phaseToken,
          tool_name: 'read_files',
          args: { path: 'README.md' },
        }),
    ],
  ];

  const shape = (a: ApiResponse<ErrorAnswer>) => ({ status: a.status, code: a.body?.code });

  it.each(routes)(
    '%s: a bad token answers the same for an unknown and an existing task',
    async (_name, call) => {
      const unknown = await call('task-does-not-exist', 'not.a.token');
      const existing = await call(theirs.task.id, 'not.a.token');
      expect(shape(unknown)).toEqual({ status: 401, code: 'invalid_token' });
      expect(shape(existing)).toEqual(shape(unknown));
    },
  );

  it.each(routes)(
    '%s: a valid token for another task is phase_token_task_mismatch, whether the task named exists or not',
    async (_name, call) => {
      const unknown = await call('task-does-not-exist', mine.phase_token);
      const existing = await call(theirs.task.id, mine.phase_token);
      expect(shape(unknown)).toEqual({ status: 403, code: 'phase_token_task_mismatch' });
      expect(shape(existing)).toEqual(shape(unknown));
      expect(unknown.body.message).toBe('the phase token is for another task, not task-does-not-exist');
    },
  );

  it('my own token on my task still works', async () => {
    const beat = await http.post(`/api/v1/tasks/${mine.task.id}/heartbeat`, agent, {
      phase_token: mine.phase_token,
    });
    expect(beat.status).toBe(200);
  });
});
