import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { listRotated } from './audit-files.js';
import { nodeAuditFs } from './audit-fs.js';
import { JsonlAuditStore } from './jsonl-audit.store.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCES = [
  'src/common/domain',
  'src/audit',
  'src/state/file/group-commit.ts',
  'src/state/file/state-fs.ts',
  'src/state/index/deep-freeze.ts',
];
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjcmFzaC1hZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

/**
 * The child: opens the store and appends in bursts of concurrent entries forever, printing
 * `acked <seq>` once each append resolved (durable). Mode `open`: one append, then exit.
 */
const CHILD = `
import { JsonlAuditStore } from './src/audit/file/jsonl-audit.store.js';
const [auditFile, mode] = process.argv.slice(2);
const say = (line) => process.stdout.write(line + '\\n');
let store;
try {
  store = await JsonlAuditStore.open({ auditFile, maxEntries: 40, retainFiles: 1000 });
} catch (error) {
  say('error ' + error.code + ' ' + error.message);
  process.exit(1);
}
say('opened ' + store.startup.last_seq);
const entry = (i) => ({
  actor: 'crash-agent', role: 'agent', action: 'tool.execute', decision: 'allowed', success: true,
  tool: 'bash', task_id: 't' + (i % 7), args: { command: 'npm test', phase_token: '${JWT}' }, duration_ms: i,
});
if (mode === 'open') {
  try { say('acked ' + (await store.append(entry(0))).seq); } catch (error) { say('error ' + error.code + ' ' + error.message); }
  await store.close();
  process.exit(0);
}
for (let burst = 0; ; burst++) {
  await Promise.all(Array.from({ length: 25 }, async (_, i) => say('acked ' + (await store.append(entry(burst * 25 + i))).seq)));
}
`;

/** Transpiles the store's sources to plain ESM in `out` (no type checking) and writes the child. */
async function buildChild(out: string): Promise<string> {
  for (const source of SOURCES) {
    const path = join(ROOT, source);
    const files = source.endsWith('.ts')
      ? [path]
      : (await readdir(path, { recursive: true })).map((f) => join(path, f));
    for (const file of files) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.includes('/cli/')) continue;
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
    }
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}');
  await writeFile(join(out, 'child.js'), CHILD);
  return join(out, 'child.js');
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

describe('audit log across processes', () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'audit-crash-'));
    await chmod(dir, 0o755);
    script = await buildChild(join(dir, 'build'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps every acknowledged entry when the writer is killed with SIGKILL mid-burst', async () => {
    const started = Date.now();
    const auditFile = join(dir, 'crash', 'audit.jsonl');
    const acked = new Set<number>();
    for (let round = 0; round < 2; round++) {
      const child = spawn(process.execPath, [script, auditFile, 'burst'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let enough!: () => void;
      const acknowledgedEnough = new Promise<void>((resolve) => (enough = resolve));
      const target = acked.size + 600;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const [what, seq] = line.split(' ');
        if (what === 'acked') acked.add(Number(seq));
        if (acked.size >= target) enough();
      });
      await acknowledgedEnough;
      child.kill('SIGKILL');
      await exited(child);
      expect(child.signalCode).toBe('SIGKILL');
    }

    const store = await JsonlAuditStore.open({ auditFile, maxEntries: 40, retainFiles: 1000 });
    expect(store.startup.warnings.every((w) => w.code === 'audit_torn_tail')).toBe(true);
    const report = await store.verify();
    await store.close();
    expect(report).toMatchObject({ valid: true, starts_after_seq: 0 });

    const onDisk = new Set<number>();
    for (const file of [...(await listRotated(nodeAuditFs, auditFile)).map((f) => f.path), auditFile]) {
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        if (line.startsWith('{"seq":')) onDisk.add((JSON.parse(line) as { seq: number }).seq);
      }
    }
    expect([...acked].filter((seq) => !onDisk.has(seq))).toEqual([]);
    expect(acked.size).toBeGreaterThanOrEqual(1200);
    expect((await listRotated(nodeAuditFs, auditFile)).length).toBeGreaterThan(10);
    const everything = (
      await Promise.all(
        (await readdir(dirname(auditFile))).map((f) => readFile(join(dirname(auditFile), f), 'utf8')),
      )
    ).join('');
    expect(everything).not.toContain('eyJ');
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 15_000);

  it('reports audit_write_failed when the process may not write the directory (EACCES)', async () => {
    const auditDir = join(dir, 'read-only');
    await mkdir(auditDir, { mode: 0o755 });
    const auditFile = join(auditDir, 'audit.jsonl');
    if (process.getuid?.() !== 0) {
      await chmod(auditDir, 0o555);
      await expect(JsonlAuditStore.open({ auditFile })).rejects.toMatchObject({
        code: 'audit_write_failed',
        message: expect.stringContaining('EACCES'),
      });
      return;
    }
    // root ignores permissions: run the store as `nobody` in a directory owned by root.
    const child = spawn(process.execPath, [script, auditFile, 'open'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      uid: 65534,
      gid: 65534,
    });
    const output: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
    await exited(child);
    expect(output.join('\n')).toMatch(/^error audit_write_failed .*EACCES/);
    expect(await readdir(auditDir)).toEqual([]);
  });

  it('rejects appends with audit_write_failed when rotation into the directory is denied, acknowledging nothing', async () => {
    const auditDir = join(dir, 'rotate-denied');
    await mkdir(auditDir, { mode: 0o755 });
    const auditFile = join(auditDir, 'audit.jsonl');
    const seed = await JsonlAuditStore.open({ auditFile, maxEntries: 40 });
    for (let i = 0; i < 40; i++)
      await seed.append({ actor: 'a', action: 'task.claim', decision: 'n/a', success: true });
    await seed.close();
    // The writer may append to the full file but not rename it: the next append must rotate.
    await chmod(auditFile, 0o666);
    await chmod(auditDir, 0o555);
    const asRoot = process.getuid?.() === 0;
    const output: string[] = [];
    try {
      // root ignores permissions, so then the writer runs as `nobody`.
      const child = spawn(process.execPath, [script, auditFile, 'open'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
      createInterface({ input: child.stdout! }).on('line', (line) => output.push(line));
      await exited(child);
    } finally {
      await chmod(auditDir, 0o755);
    }
    expect(output[0]).toBe('opened 40');
    expect(output[1]).toMatch(/^error audit_write_failed .*EACCES/);
    expect((await readFile(auditFile, 'utf8')).split('\n').filter(Boolean)).toHaveLength(40);
    expect(await readdir(auditDir)).toEqual(['audit.jsonl']);
  });
});
