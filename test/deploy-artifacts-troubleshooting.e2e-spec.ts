import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CLI,
  baseEnv,
  disposeServer,
  runCli,
  startServer,
  tempDir,
  type ServerProcess,
} from './support/server-process.js';
import { api } from './support/api.js';
import { accessToken } from './support/tokens.js';

/**
 * docs/DEPLOYMENT.md quotes the server's start-up refusals; each quoted block must be what the
 * built CLI prints (with `<…>` standing for the varying parts), and each refusal must be quoted.
 */
const ROOT = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const doc = readFileSync(join(ROOT, 'docs/DEPLOYMENT.md'), 'utf8');
const troubleshooting = doc.slice(doc.indexOf('## Troubleshooting'));
const quoted = [...troubleshooting.matchAll(/```text\n([\s\S]*?)\n```/g)].map((m) => m[1]);

function pattern(block: string): RegExp {
  const parts = block.split(/<[^>\n]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('[^\\n]+?'));
}

const refusals: Record<string, string> = {};

async function occupiedPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}

beforeAll(async () => {
  const noSecret = { ...baseEnv({ NODE_ENV: 'production' }) };
  delete noSecret.ORCHESTRATOR_JWT_SECRET;
  refusals.secret = (await runCli(['serve'], { env: noSecret })).stderr;

  const blocker = await occupiedPort();
  const port = String((blocker.address() as { port: number }).port);
  refusals.port = (await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_SERVER_PORT: port }) })).stderr;
  blocker.close();

  // Root may write anywhere, so as root the refusal is shown for `nobody` (setpriv, util-linux).
  const ro = tempDir();
  chmodSync(ro, 0o555);
  const env = baseEnv({ ORCHESTRATOR_STATE_FILE: join(ro, 'state', 'state.json') });
  const asUser =
    process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const denied = spawnSync(
    asUser[0] ?? process.execPath,
    [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), CLI, 'serve'],
    {
      cwd: ro,
      env,
      encoding: 'utf8',
      timeout: 15_000,
    },
  );
  refusals.permission = denied.stderr;

  const owner: ServerProcess = await startServer();
  try {
    refusals.locked = (await runCli(['serve'], { cwd: owner.dir })).stderr;
  } finally {
    await disposeServer(owner);
  }

  refusals.workspace = (
    await runCli(['serve'], { env: baseEnv({ ORCHESTRATOR_TOOLS_WORKSPACE_ROOT: '.' }) })
  ).stderr;

  // Damaged state (DESIGN.md §7): a server leaves a journal (SIGKILL) or a snapshot (SIGTERM).
  const journalOf = (d: string) => join(d, '.orchestrator', 'state.json.journal');
  const stateOf = (d: string) => join(d, '.orchestrator', 'state.json');
  const withTask = async (signal: NodeJS.Signals): Promise<string> => {
    const s = await startServer();
    const created = await fetch(`${s.url}/api/v1/tasks`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken('operator', 'op')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ title: 'damaged-task' }),
    });
    expect(created.status).toBe(201);
    await s.stop(signal);
    return s.dir;
  };
  const serveIn = async (d: string) => (await runCli(['serve'], { cwd: d })).stderr;
  const record = await withTask('SIGKILL');
  const lines = readFileSync(journalOf(record), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('damaged-task'));
  lines[at] = lines[at]!.replace('damaged-task', 'damaged-tasK');
  writeFileSync(journalOf(record), lines.join('\n'));
  refusals.journalRecord = await serveIn(record);
  const noSnapshot = await withTask('SIGTERM');
  rmSync(stateOf(noSnapshot));
  refusals.snapshotMissing = await serveIn(noSnapshot);
  const foreign = await withTask('SIGKILL');
  copyFileSync(journalOf(await withTask('SIGKILL')), journalOf(foreign));
  refusals.journalForeign = await serveIn(foreign);
  const flipped = await withTask('SIGTERM');
  const bytes = readFileSync(stateOf(flipped));
  bytes[bytes.indexOf('damaged-task')] ^= 0x20;
  writeFileSync(stateOf(flipped), bytes);
  refusals.snapshotLine = await serveIn(flipped);

  const keyDir = tempDir();
  const key = join(keyDir, 'audit-key.pem');
  writeFileSync(key, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
  chmodSync(key, 0o644);
  refusals.auditKey = (
    await runCli(['serve'], { cwd: keyDir, env: baseEnv({ ORCHESTRATOR_AUDIT_SIGNING_KEY_FILE: key }) })
  ).stderr;

  // A log the server signed and anchored, then cut short behind its anchor.
  const written: ServerProcess = await startServer();
  await api(written.url).post('/api/v1/tasks', accessToken('operator', 'op'), { title: 'anchored' });
  await written.stop('SIGTERM');
  const log = join(written.dir, '.orchestrator', 'audit.jsonl');
  writeFileSync(log, readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(0, -1).join('\n') + '\n');
  refusals.anchor = (await runCli(['serve'], { cwd: written.dir })).stderr;

  const dir = tempDir();
  writeFileSync(join(dir, 'bad.yaml'), 'name: bad\nphases: 3\n');
  refusals.workflow = (
    await runCli(['serve'], { cwd: dir, env: baseEnv({ ORCHESTRATOR_WORKFLOW_FILE: join(dir, 'bad.yaml') }) })
  ).stderr;
}, 180_000);

describe('docs/DEPLOYMENT.md troubleshooting messages', () => {
  it('quotes twelve refusals', () => {
    expect(quoted).toHaveLength(12);
  });

  it.each([
    'secret',
    'port',
    'permission',
    'locked',
    'workspace',
    'auditKey',
    'anchor',
    'workflow',
    'journalRecord',
    'snapshotMissing',
    'journalForeign',
    'snapshotLine',
  ])('the %s refusal is quoted verbatim', (name) => {
    const printed = refusals[name];
    expect(printed).toMatch(/^orchestrator: /m);
    const match = quoted.filter((block) => pattern(block).test(printed));
    expect([name, match.length, printed]).toEqual([name, 1, printed]);
  });

  it('every quoted block is printed by one of the refusals', () => {
    for (const block of quoted) {
      expect([block, Object.values(refusals).some((p) => pattern(block).test(p))]).toEqual([block, true]);
    }
  });
});

describe('docs/DEPLOYMENT.md production config', () => {
  it('is accepted by `config show` (paths moved into a temp dir)', () => {
    const yaml = /<< 'YAML'\n([\s\S]*?)\nYAML\n/.exec(doc)?.[1];
    expect(yaml).toBeDefined();
    const dir = tempDir();
    for (const sub of ['lib', 'log']) mkdirSync(join(dir, sub));
    const file = join(dir, 'orchestrator.yaml');
    writeFileSync(
      file,
      yaml!
        .replaceAll('/var/lib/orchestrator', join(dir, 'lib'))
        .replaceAll('/var/log/orchestrator', join(dir, 'log'))
        .replaceAll('/opt/orchestrator', ROOT),
    );
    const r = spawnSync(process.execPath, [CLI, 'config', 'show', '--config', file], {
      env: baseEnv({ NODE_ENV: 'production' }),
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(join(dir, 'lib', 'state.json'));
  });
});
