import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { accessToken } from './support/tokens.js';

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
      schema_version: 1,
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
