import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrations } from '../src/database/migration-files.js';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { api } from './support/api.js';
import {
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';
import { handInAndApprove } from './support/approval.js';
import { accessToken } from './support/tokens.js';
import { planArtifacts } from './fixtures/artifacts.js';

const POSTGRES = 'state:\n  backend: postgres\n';

interface Summary {
  id: string;
  title: string;
  status: string;
}

/** `orchestrator state backup` / `state restore` on state.backend: postgres, through the real CLI. */
describe('state backup and restore on postgres', () => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;
  const dir = tempDir();
  const operator = accessToken('operator', 'pg-backup-op');
  beforeAll(async () => {
    db = await createTestDatabase();
    writeFileSync(join(dir, 'orchestrator.yaml'), POSTGRES);
  });
  afterAll(async () => {
    await disposeServer(server);
    await db.drop();
  });

  const env = () => baseEnv({ ORCHESTRATOR_DATABASE_URL: db.url });
  const start = () => startServer({ dir, env: { ORCHESTRATOR_DATABASE_URL: db.url } });
  const cli = (...args: string[]) => runCli(['state', ...args], { cwd: dir, env: env() });
  const list = async (s: ServerProcess) => {
    const res = await api(s.url).get<{ tasks: Summary[] }>('/api/v1/tasks?limit=100', operator);
    expect(res.status).toBe(200);
    return res.body.tasks.map((t) => ({ id: t.id, title: t.title, status: t.status }));
  };

  it('restores exactly the backed-up tasks, audited; refuses while a server runs and refuses a tampered file', async () => {
    server = await start();
    let http = api(server.url);
    const first = (await http.post<{ id: string }>('/api/v1/tasks', operator, { title: 'kept 1' })).body.id;
    await http.post('/api/v1/tasks', operator, { title: 'kept 2' });
    await http.post('/api/v1/tasks', operator, { title: 'kept 3', dependencies: [first] });
    const backedUp = await list(server);
    expect(backedUp).toHaveLength(3);
    await server.stop('SIGTERM');
    server = undefined;

    const backup = join(dir, 'state-backup.json');
    const wrote = await cli('backup', backup);
    expect(wrote.stderr).toBe('');
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toContain('backed up 3 tasks');
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    const parsed = JSON.parse(readFileSync(backup, 'utf8')) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      format: 'orchestrator-postgres-state-backup',
      backend: 'postgres',
      schema_version: readMigrations().at(-1)!.version,
    });
    expect(parsed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The state moves on: one more task, one cancelled.
    server = await start();
    http = api(server.url);
    await http.post('/api/v1/tasks', operator, { title: 'after backup' });
    expect((await http.post(`/api/v1/tasks/${first}/cancel`, operator, {})).status).toBe(200);
    const changed = await list(server);
    expect(changed).toHaveLength(4);

    const whileRunning = await cli('restore', backup);
    expect(whileRunning.code).toBe(2);
    expect(whileRunning.stderr).toMatch(/server\(s\) are connected to this database.*stop them/);
    expect(await list(server)).toEqual(changed);
    await server.stop('SIGTERM');
    server = undefined;

    // One changed title, digest left as it was: refused, naming the file, nothing changed.
    const tampered = join(dir, 'tampered.json');
    writeFileSync(tampered, readFileSync(backup, 'utf8').replace('kept 2', 'kept 9'));
    const refused = await cli('restore', tampered);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(tampered);
    expect(refused.stderr).toMatch(/digest .* does not match its content/);
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, readFileSync(backup, 'utf8').slice(0, 100));
    const cut = await cli('restore', truncated);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/truncated\.json cannot be restored: it is not valid JSON/);
    server = await start();
    expect(await list(server)).toEqual(changed);
    await server.stop('SIGTERM');
    server = undefined;

    const restored = await cli('restore', backup);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('restored 3 tasks');

    server = await start();
    http = api(server.url);
    expect(await list(server)).toEqual(backedUp);
    // The dependency edge came back too: the dependant still waits for its restored dependency.
    const dependant = backedUp.find((t) => t.title === 'kept 3')!;
    expect(
      (await http.get<{ dependencies: string[] }>(`/api/v1/tasks/${dependant.id}`, operator)).body
        .dependencies,
    ).toEqual([first]);
    const audit = await http.get<{ entries: { actor: string; details: Record<string, unknown> }[] }>(
      '/api/v1/audit/query?action=state.restore&limit=10',
      operator,
    );
    expect(audit.body.entries).toHaveLength(1);
    const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(readFileSync(backup)).digest('hex')}`;
    expect(audit.body.entries[0]).toMatchObject({
      actor: expect.stringMatching(/^cli:/) as unknown,
      details: { backup, digest, tasks: 3 },
    });
    const verify = await http.get<{ valid: boolean }>('/api/v1/audit/verify', operator);
    expect(verify.body.valid).toBe(true);
  });

  it('brings revocations and idempotency keys back into a new database, the same after a second restore; a damaged file changes nothing', async () => {
    const source = await createTestDatabase();
    const target = await createTestDatabase();
    const home = tempDir();
    writeFileSync(join(home, 'orchestrator.yaml'), POSTGRES);
    const on = (d: TestDatabase) => ({ cwd: home, env: baseEnv({ ORCHESTRATOR_DATABASE_URL: d.url }) });
    const state = (d: TestDatabase, ...args: string[]) => runCli(['state', ...args], on(d));
    /** The content digest `state backup` reports: equal digests, equal tasks, edges, revocations and keys. */
    const digestOf = async (d: TestDatabase) => {
      const file = join(home, `probe-${Date.now()}.json`);
      const wrote = await state(d, 'backup', file);
      expect(wrote.code).toBe(0);
      return (JSON.parse(readFileSync(file, 'utf8')) as { digest: string }).digest;
    };
    try {
      server = await startServer({ dir: home, env: { ORCHESTRATOR_DATABASE_URL: source.url } });
      let http = api(server.url);
      await http.post('/api/v1/tasks', operator, { title: 'moves with a key' });
      const agent = accessToken('agent', 'pg-backup-agent');
      const claimed = await http.post<{ task: { id: string }; phase_token: string }>(
        '/api/v1/tasks/claim',
        agent,
        {},
      );
      expect(claimed.status).toBe(200);
      const handIn = { task_id: claimed.body.task.id, phase_token: claimed.body.phase_token };
      await handInAndApprove(http, agent, operator, { ...handIn, artifacts: planArtifacts });
      const move = { ...handIn, current_phase: 'PLAN', target_phase: 'TDD', artifacts: planArtifacts };
      const key = { 'idempotency-key': 'pg-backup-move-1' };
      const answered = await http.post<Record<string, unknown>>('/api/v1/tasks/transition', agent, move, key);
      expect(answered.body).toMatchObject({ allowed: true, phase: 'TDD' });
      const revoked = accessToken('operator', 'pg-backup-revoked');
      const admin = accessToken('admin', 'pg-backup-admin');
      expect((await http.post('/api/v1/auth/revoke', admin, { token: revoked })).status).toBe(200);
      expect((await http.get('/api/v1/tasks', revoked)).status).toBe(401);
      await server.stop('SIGTERM');
      server = undefined;

      const backup = join(home, 'backup.json');
      expect((await state(source, 'backup', backup)).code).toBe(0);
      const backedUp = (JSON.parse(readFileSync(backup, 'utf8')) as { digest: string }).digest;
      expect((await runCli(['db', 'migrate'], on(target))).code).toBe(0);
      for (const round of [1, 2]) {
        const restored = await state(target, 'restore', backup);
        expect({ round, code: restored.code, stderr: restored.stderr }).toEqual({
          round,
          code: 0,
          stderr: '',
        });
        expect(await digestOf(target)).toBe(backedUp);
      }

      // Damaged copies: refused with exit 2, and every table and the audit outbox as they were.
      const text = readFileSync(backup, 'utf8');
      const edited = text.replace('moves with a key', 'moves with a kez');
      expect(edited).not.toBe(text);
      const damaged = {
        'digest-mismatch.json': [edited, /digest .* does not match its content/],
        'truncated.json': [text.slice(0, Math.floor(text.length * 0.6)), /it is not valid JSON/],
      } as const;
      for (const [name, [body, why]] of Object.entries(damaged)) {
        writeFileSync(join(home, name), body);
        const refused = await state(target, 'restore', join(home, name));
        expect({ name, code: refused.code }).toEqual({ name, code: 2 });
        expect(refused.stderr).toMatch(why);
        expect(await digestOf(target)).toBe(backedUp);
      }

      server = await startServer({ dir: home, env: { ORCHESTRATOR_DATABASE_URL: target.url } });
      http = api(server.url);
      const stillRevoked = await http.get<{ code: string }>('/api/v1/tasks', revoked);
      expect(stillRevoked.status).toBe(401);
      expect(stillRevoked.body.code).toBe('token_revoked');
      // Answered from the restored key (a fresh token for the same version); without it the PLAN token is stale.
      const replayed = await http.post<Record<string, unknown>>('/api/v1/tasks/transition', agent, move, key);
      expect(replayed.status).toBe(answered.status);
      expect({ ...replayed.body, new_token: null }).toEqual({ ...answered.body, new_token: null });
      const task = await http.get<{ phase: string; history: { action: string }[] }>(
        `/api/v1/tasks/${handIn.task_id}`,
        operator,
      );
      expect(task.body.phase).toBe('TDD');
      expect(task.body.history.filter((h) => h.action === 'transitioned')).toHaveLength(1);
      const audit = await http.get<{ entries: unknown[] }>(
        '/api/v1/audit/query?action=state.restore&limit=10',
        operator,
      );
      expect(audit.body.entries).toHaveLength(2);
    } finally {
      await disposeServer(server);
      server = undefined;
      await source.drop();
      await target.drop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a backup of the other backend, either way, with a message naming the file and its backend', async () => {
    const fileDir = tempDir();
    const fileServer = await startServer({ dir: fileDir });
    await api(fileServer.url).post('/api/v1/tasks', operator, { title: 'file store' });
    await fileServer.stop('SIGTERM');
    const fileBackup = join(fileDir, 'file-backup.json');
    const fileEnv = { cwd: fileDir, env: baseEnv() };
    expect((await runCli(['state', 'backup', fileBackup], fileEnv)).code).toBe(0);

    const onPostgres = await cli('restore', fileBackup);
    expect(onPostgres.code).toBe(2);
    expect(onPostgres.stderr).toContain(`${fileBackup} cannot be restored: it is a file-store backup`);

    const pgBackup = join(dir, 'state-backup.json');
    const onFile = await runCli(['state', 'restore', pgBackup], fileEnv);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain(`${pgBackup} is a postgres state backup`);
    rmSync(fileDir, { recursive: true, force: true });
  });
});
