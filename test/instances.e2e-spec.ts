import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../src/database/testing/test-database.js';
import { api } from './support/api.js';
import { disposeServer, startServer, tempDir, type ServerProcess } from './support/server-process.js';
import { accessToken } from './support/tokens.js';

interface InstancesView {
  self: string;
  live: number;
  peers: { id: string; pid: number }[];
  events_ordered_by: { instance_id: string } | null;
  audit_sealed_by: { instance_id: string } | null;
}

const operator = accessToken('operator', 'instances-op');

/** Polls `fn` until it returns a truthy value or `ms` pass. */
async function eventually<T>(fn: () => Promise<T | null | undefined | false>, ms = 12_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The parent of a live process on this host (from /proc), or null once it is gone. */
function parentPid(pid: number): number | null {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return null;
  }
}

const instancesOf = async (server: ServerProcess) =>
  (await api(server.url).get<{ instances: InstancesView }>('/', operator)).body.instances;

/** Reads an SSE stream until `done` says enough (or 8 s pass); returns the frames' ids and data. */
async function readStream(
  url: string,
  done: (frames: { id: number; data: { task_id?: string } }[]) => boolean,
  opened: () => Promise<void>,
) {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${operator}` },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const frames = () =>
    text
      .split('\n\n')
      .filter((b) => b.includes('\ndata: ') || b.startsWith('data: '))
      .map((b) => {
        const lines = b.split('\n');
        const id = lines.find((l) => l.startsWith('id: '));
        const data = lines.find((l) => l.startsWith('data: '))!.slice(6);
        return { id: Number(id?.slice(4)), data: JSON.parse(data) as { task_id?: string } };
      });
  const timer = setTimeout(() => controller.abort(), 8000);
  let first = true;
  try {
    while (!done(frames())) {
      const read = reader.read();
      if (first) {
        first = false;
        await opened();
      }
      const { value, done: ended } = await read;
      if (ended) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // aborted: the caller's expectations say what was missing
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return frames();
}

describe('several instances on one PostgreSQL database', () => {
  let db: TestDatabase;
  const servers: ServerProcess[] = [];
  const keyFile = join(tempDir(), 'audit-signing-key.pem');
  beforeAll(async () => {
    db = await createTestDatabase();
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await disposeServer(server);
  });
  afterAll(() => db.drop());

  const start = async (
    configYaml = '',
    env: Record<string, string> = { ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: keyFile },
  ) => {
    const server = await startServer({
      configYaml: `state:\n  backend: postgres\n${configYaml}`,
      env: { ORCHESTRATOR_DATABASE_URL: db.url, ...env },
    });
    servers.push(server);
    return server;
  };

  it('each instance lists the live ones, streams the events made on the other, and forgets one that stopped', async () => {
    const a = await start();
    const b = await start();
    const selfB = (await instancesOf(b)).self;
    const seen = await eventually(async () => {
      const view = await instancesOf(a);
      return view.peers.some((p) => p.id === selfB) && view;
    });
    expect(seen.live).toBe(2);
    expect(seen.peers.map((p) => p.pid).sort()).toEqual([a.child.pid, b.child.pid].sort());
    expect(
      (await (await fetch(`${a.url}/metrics`)).text()).match(/^orchestrator_instances_live (\d+)/m)?.[1],
    ).toBe('2');

    // A task created on B reaches A's event stream (LISTEN/NOTIFY: well before the 1 s poll matters).
    let created = '';
    const frames = await readStream(
      a.url,
      (f) => f.some((e) => e.data.task_id === created && created !== ''),
      async () => {
        created = (await api(b.url).post<{ id: string }>('/api/v1/tasks', operator, { title: 'made on B' }))
          .body.id;
      },
    );
    const mine = frames.filter((f) => f.data.task_id === created);
    expect(mine.length).toBeGreaterThan(0);
    const ids = frames.map((f) => f.id).filter((id) => !Number.isNaN(id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    // The page API on A has it too, with the same id.
    const page = await api(a.url).get<{ events: { id: number; task_id?: string }[] }>(
      `/api/v1/events?task_id=${created}`,
      operator,
    );
    expect(page.body.events.map((e) => e.id)).toContain(mine[0]!.id);

    // Whoever numbered and sealed last is named, and is one of the two.
    const ordered = await eventually(async () => {
      const view = await instancesOf(a);
      return view.events_ordered_by && view.audit_sealed_by && view;
    });
    expect([seen.self, selfB]).toContain(ordered.events_ordered_by!.instance_id);
    expect([seen.self, selfB]).toContain(ordered.audit_sealed_by!.instance_id);

    // B stops (it leaves the table): A counts one at its next heartbeat.
    expect(await b.stop('SIGTERM')).toBe(0);
    const alone = await eventually(async () => {
      const view = await instancesOf(a);
      return view.live === 1 && view;
    });
    expect(alone.peers.map((p) => p.id)).toEqual([alone.self]);
  }, 60_000);

  it('server.workers: 2 runs two processes on the database; a pool too big for max_connections is warned about with the numbers', async () => {
    const server = await start('server:\n  workers: 2\ndatabase:\n  pool_size: 60\n  max_overflow: 0\n');
    // Its two workers, told apart from the first test's killed servers, whose rows may still be
    // live until their heartbeats expire (counting `live === 2` raced that expiry).
    const workersOf = (v: InstancesView) => v.peers.filter((p) => parentPid(p.pid) === server.child.pid);
    const view = await eventually(async () => {
      const v = await instancesOf(server);
      return workersOf(v).length === 2 && v;
    });
    expect(new Set(workersOf(view).map((p) => p.pid)).size).toBe(2);
    expect(view.peers.map((p) => p.pid)).not.toContain(server.child.pid); // the primary serves nothing
    const warning = server.logs.find((l) => String(l.msg).startsWith('connection budget exceeded'));
    // (The first test's servers were killed, so their rows may still count as live.)
    const numbers =
      /^connection budget exceeded: (\d+) server process\(es\) \((\d+) already live on the database \+ server\.workers=2\) × 61 connections each .* = (\d+), but PostgreSQL allows \d+/.exec(
        String(warning?.msg),
      );
    expect(numbers).not.toBeNull();
    const [, all, others, needed] = numbers!.map(Number);
    expect(all).toBe(others! + 2);
    expect(needed).toBe(all! * 61);
    expect(JSON.stringify(server.logs)).not.toContain('state store is owned by one process');
  }, 60_000);

  it('server.workers: 4 on a new state directory: every worker starts (one generated audit key, no temp file left) and is live', async () => {
    const fresh = await createTestDatabase();
    try {
      const server = await startServer({
        configYaml: 'state:\n  backend: postgres\nserver:\n  workers: 4\n',
        env: { ORCHESTRATOR_DATABASE_URL: fresh.url },
      });
      servers.push(server);
      const view = await eventually(async () => {
        const v = await instancesOf(server);
        return v.live === 4 && v;
      });
      expect(view.peers).toHaveLength(4);
      const died = server.logs.filter((l) => l.msg === 'worker died: restarting it');
      // A worker's own last words go to stderr: shown when one died, to tell why.
      expect({ died, stderr: died.length > 0 ? server.stderr() : '' }).toEqual({ died: [], stderr: '' });
      expect(readdirSync(join(server.dir, '.orchestrator')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      for (const server of servers.splice(0)) await disposeServer(server);
      await fresh.drop();
    }
  }, 60_000);
});
