import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { handInAndApprove } from './support/approval.js';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';
import { accessToken, claimsOf } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

interface Claimed {
  task: { id: string };
  phase_token: string;
}

const POSTGRES = 'state:\n  backend: postgres\n';
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

/** The real server on `state.backend: postgres`, against a fresh database on this machine. */
describe('state.backend: postgres', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  // Every server on one database signs the audit chain with the same key (a generated one per
  // state directory would be refused by the next server started elsewhere).
  const keyFile = join(tempDir(), 'audit-signing-key.pem');
  beforeAll(async () => {
    db = await createTestDatabase();
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  });
  afterAll(async () => {
    await disposeServer(server);
    await db.drop();
  });

  const start = (dir?: string) =>
    startServer({
      dir,
      configYaml: POSTGRES,
      env: { ORCHESTRATOR_DATABASE_URL: db.url, ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile },
    });

  it('migrates at start, hands each task out once, resumes events across a restart, and keeps tasks and audit across a SIGKILL', async () => {
    const dir = tempDir();
    server = await start(dir);
    expect(JSON.stringify(server.logs)).toContain('applied migration 0001');
    let http = api(server.url);
    const operator = accessToken('operator', 'pg-op');
    const ids = new Set<string>();
    for (let i = 0; i < 10; i++)
      ids.add((await http.post<{ id: string }>('/api/v1/tasks', operator, { title: `pg ${i}` })).body.id);
    const claims = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        http.post<Claimed>('/api/v1/tasks/claim', accessToken('agent', `pg-agent-${i}`), {}),
      ),
    );
    const won = claims.filter((r) => r.status === 200);
    expect(claims.filter((r) => r.status === 204)).toHaveLength(20);
    expect(new Set(won.map((r) => r.body.task.id))).toEqual(ids);

    // One transition, replayed with its key: applied once.
    const first = won[0]!;
    const agent = accessToken(
      'agent',
      (await http.get<{ holder: string }>(`/api/v1/tasks/${first.body.task.id}`, operator)).body.holder,
    );
    await handInAndApprove(http, agent, operator, {
      task_id: first.body.task.id,
      phase_token: first.body.phase_token,
      artifacts: planArtifacts,
    });
    const move = {
      task_id: first.body.task.id,
      current_phase: 'PLAN',
      target_phase: 'TDD',
      phase_token: first.body.phase_token,
      artifacts: planArtifacts,
    };
    const headers = { 'idempotency-key': 'pg-move-1' };
    const moves = await Promise.all(
      [1, 2].map(() => http.post('/api/v1/tasks/transition', agent, move, headers)),
    );
    for (const res of moves) expect(res.body).toMatchObject({ allowed: true, phase: 'TDD' });
    const stale = await http.post('/api/v1/tasks/transition', agent, { ...move, target_phase: 'IMPL' });
    expect(stale.status).toBe(403);

    const before = await http.get<{ events: { id: number }[]; last_id: number }>(
      '/api/v1/events?limit=1000',
      operator,
    );
    const cursor = before.body.events[4]!.id;
    // A clean restart: a client that saw the fifth event resumes exactly after it.
    await server.stop('SIGTERM');
    server = await start(dir);
    http = api(server.url);
    const resumed = await http.get<{ events: { id: number }[] }>(
      `/api/v1/events?after=${cursor}&limit=1000`,
      operator,
    );
    expect(resumed.status).toBe(200);
    // Exactly the events after the cursor, in order; an event of no change published just before
    // the stop (numbered a moment after its answer) may follow, numbered before the stop ended.
    const seen = before.body.events.filter((e) => e.id > cursor).map((e) => e.id);
    const resumedIds = resumed.body.events.map((e) => e.id);
    expect(resumedIds.slice(0, seen.length)).toEqual(seen);
    expect(resumedIds.every((id, i) => id === cursor + 1 + i)).toBe(true);

    // A crash: every acknowledged change, its audit entry and its event are there; ids never repeat.
    const beforeKill = await http.get<{ events: { id: number; type: string }[] }>(
      '/api/v1/events?limit=1000',
      operator,
    );
    await server.stop('SIGKILL');
    server = await start(dir);
    http = api(server.url);
    const task = await http.get<{ phase: string; history: { action: string }[] }>(
      `/api/v1/tasks/${first.body.task.id}`,
      operator,
    );
    expect(task.body.phase).toBe('TDD');
    expect(task.body.history.filter((h) => h.action === 'transitioned')).toHaveLength(1);
    const verify = await http.get<{ valid: boolean }>('/api/v1/audit/verify', operator);
    expect(verify.status).toBe(200);
    expect(verify.body.valid).toBe(true);
    const claimsAudited = await http.get<{ entries: unknown[] }>(
      '/api/v1/audit/query?action=task.claim&limit=100',
      operator,
    );
    expect(claimsAudited.body.entries).toHaveLength(10);
    const transitions = await http.get<{ entries: unknown[] }>(
      `/api/v1/audit/query?action=task.transition&task_id=${first.body.task.id}&limit=100`,
      operator,
    );
    expect(transitions.body.entries.length).toBeGreaterThanOrEqual(1);
    await http.post('/api/v1/tasks', operator, { title: 'after the crash' });
    const head = await http.get<{ events: { id: number }[]; last_id: number }>(
      '/api/v1/events?limit=1000',
      operator,
    );
    expect(Math.max(...head.body.events.map((e) => e.id))).toBeGreaterThan(before.body.last_id);
    expect(new Set(head.body.events.map((e) => e.id)).size).toBe(head.body.events.length);
    // A change's events are stored in its transaction and numbered by the database: a cursor from
    // before the crash resumes with every event after it, none missed, none twice, and the
    // creation made after the restart comes last.
    const beforeCrash = await http.get<{ events: { id: number; type: string }[] }>(
      `/api/v1/events?after=${cursor}&limit=1000`,
      operator,
    );
    expect(beforeCrash.status).toBe(200);
    const afterCursor = beforeKill.body.events.filter((e) => e.id > cursor);
    expect(beforeCrash.body.events.slice(0, afterCursor.length)).toEqual(afterCursor);
    const later = beforeCrash.body.events.slice(afterCursor.length);
    expect(later.at(-1)?.type).toBe('task.created');
    const all = beforeCrash.body.events.map((e) => e.id);
    expect(all.every((id, i) => i === 0 || id === all[i - 1]! + 1)).toBe(true);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/orchestrator_db_pool_connections\{state="idle"\} \d+/);
    expect(metrics).toMatch(/orchestrator_db_pool_waiting \d+/);
    expect(metrics).toMatch(/orchestrator_db_sequencer_lag_seconds\{log="events"\} \d/);
    expect(metrics).toMatch(/orchestrator_db_sequencer_backlog\{log="audit"\} \d/);
    expect(metrics).toMatch(/orchestrator_db_query_seconds_count\{[^}]*outcome="ok"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/orchestrator_db_query_seconds_count\{kind="transaction",outcome="ok"\} [1-9]/);
    expect(metrics).not.toContain(db.url);
    await server.stop('SIGTERM');
    server = undefined;
  });

  it('racing refreshes of one token yield one new token, not several; each loser is refused', async () => {
    server = await start();
    const http = api(server.url);
    const admin = accessToken('admin', 'pg-admin');
    const original = accessToken('operator', 'op-race');
    // The guard's revocation check is a database read: every request can pass it before any commits.
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => http.post<{ code?: string }>('/api/v1/auth/refresh', original)),
    );
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    for (const lost of answers.filter((r) => r.status !== 200)) {
      expect(lost.status).toBe(401);
      expect(lost.body.code).toBe('token_revoked');
    }
    const audited = await http.get<{ entries: { decision: string; details: { old_jti?: string } }[] }>(
      '/api/v1/audit/query?action=token.refresh&limit=100',
      admin,
    );
    const mine = audited.body.entries.filter((e) => e.details.old_jti === claimsOf(original).jti);
    expect(mine.filter((e) => e.decision === 'allowed')).toHaveLength(1);
    await server.stop('SIGTERM');
    server = undefined;
  });

  it('NUL characters an agent or operator sends are refused at the door; audit and events keep flowing', async () => {
    server = await startServer({
      configYaml: POSTGRES,
      env: {
        ORCHESTRATOR_DATABASE_URL: db.url,
        ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile,
        ORCHESTRATOR_WORKFLOW_FILE: join(ROOT, 'test/fixtures/workflows/tools_workflow.yaml'),
      },
    });
    const http = api(server.url);
    const operator = accessToken('operator', 'pg-nul-op');
    const agent = accessToken('agent', 'pg-nul-agent');
    await http.post('/api/v1/tasks', operator, { title: 'plain' });
    const claim = await http.post<{ task: { id: string }; phase_token: string }>(
      '/api/v1/tasks/claim',
      agent,
      {},
    );
    expect(claim.status).toBe(200);
    const authorize = (tool_name: string, args: Record<string, unknown>) =>
      http.post<{ code: string }>('/api/v1/tools/authorize', agent, {
        task_id: claim.body.task.id,
        phase_token: claim.body.phase_token,
        tool_name,
        args,
      });
    // PostgreSQL's text and jsonb cannot hold U+0000: taken in, it failed the writes it was part of
    // (a 500 for a task titled so; an audit or event batch failing for everyone after it).
    const refused = [
      await http.post<{ code: string }>('/api/v1/tasks', operator, { title: 'nul\u0000title' }),
      await http.post<{ code: string }>('/api/v1/tasks/claim', agent, { capabilities: ['a\u0000b'] }),
      await authorize('read_files', { paths: ['a\u0000b'] }),
      await authorize('read\u0000files', {}),
      await authorize('bash', { command: 'echo', 'k\u0000': 1 }),
      await http.get<{ code: string }>('/api/v1/tasks/a%00b', operator),
      await http.get<{ code: string }>('/api/v1/audit/query?task_id=%00', operator),
    ];
    for (const res of refused) expect([res.status, res.body.code]).toEqual([400, 'invalid_characters']);
    const after = await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'after the NULs' });
    expect(after.status).toBe(201);
    const events = await http.get<{ events: { type: string; task_id?: string }[] }>(
      '/api/v1/events?limit=1000',
      operator,
    );
    expect(events.body.events.some((e) => e.type === 'task.created' && e.task_id === after.body.id)).toBe(
      true,
    );
    const verify = await http.get<{ valid: boolean }>('/api/v1/audit/verify', operator);
    expect(verify.body.valid).toBe(true);
    const audited = await http.get<{ entries: unknown[] }>(
      `/api/v1/audit/query?task_id=${after.body.id}`,
      operator,
    );
    expect(audited.body.entries.length).toBeGreaterThan(0);
    await server.stop('SIGTERM');
    server = undefined;
  });

  it('an unreachable database stops start-up with exit 2 and one line naming database.url, password hidden', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'orchestrator.yaml'), POSTGRES);
    const result = await runCli(['serve'], {
      cwd: dir,
      env: baseEnv({ ORCHESTRATOR_DATABASE_URL: 'postgres://orch:hunter2-secret@127.0.0.1:1/nowhere' }),
    });
    expect(result.code).toBe(2);
    const output = result.stdout + result.stderr;
    expect(output).toContain('database.url=postgres://orch:[redacted]@127.0.0.1:1/nowhere');
    expect(output).toContain('ORCHESTRATOR_DATABASE_URL');
    expect(output).not.toContain('hunter2-secret');
  });
});
