import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { api } from './support/api.js';
import { disposeServer, startServer, type ServerProcess } from './support/server-process.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { accessToken } from './support/tokens.js';

/**
 * The database goes away while the server runs (a proxy we control drops every connection and
 * refuses new ones), then comes back: requests that need it answer 503 with nothing changed,
 * readiness goes false, and the server recovers by itself.
 */
describe('postgres lost mid-run', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: ServerProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
  });
  afterAll(async () => {
    await disposeServer(server);
    await proxy.close();
    await db.drop();
  });

  const until = async (check: () => Promise<boolean>, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      try {
        if (await check()) return true;
      } catch (error) {
        // Say why the server stopped answering (it crashed once on a lost connection).
        await new Promise((r) => setTimeout(r, 300));
        throw new Error(
          `${String(error)}; server exit code ${server?.child.exitCode}, stderr: ${server?.stderr().slice(-2000)}`,
          { cause: error },
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };

  it('answers 503 state_unavailable and not ready while it is gone, changes nothing, and recovers', async () => {
    const url = new URL(db.url);
    url.port = String(proxy.port);
    server = await startServer({
      configYaml: 'state:\n  backend: postgres\ndatabase:\n  pool_timeout: 2\n',
      env: { ORCHESTRATOR_DATABASE_URL: url.toString() },
    });
    const http = api(server.url);
    const operator = accessToken('operator', 'fault-op');
    expect((await http.post('/api/v1/tasks', operator, { title: 'before' })).status).toBe(201);
    expect((await http.get('/health/ready')).status).toBe(200);

    await proxy.cut();
    const refused = await http.post('/api/v1/tasks', operator, { title: 'while gone' });
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ code: 'state_unavailable' });
    expect(JSON.stringify(refused.body)).not.toContain(db.url.split('@')[0]!);
    expect(await until(async () => (await http.get('/health/ready')).status === 503, 10_000)).toBe(true);
    expect((await http.get('/health/live')).status).toBe(200);

    await proxy.restore();
    expect(await until(async () => (await http.get('/health/ready')).status === 200, 15_000)).toBe(true);
    expect((await http.post('/api/v1/tasks', operator, { title: 'after' })).status).toBe(201);
    const list = await http.get<{ tasks: { title: string }[] }>('/api/v1/tasks?limit=100', operator);
    expect(list.body.tasks.map((t) => t.title).sort()).toEqual(['after', 'before']);
    expect(server.child.exitCode).toBeNull();
  });
});
