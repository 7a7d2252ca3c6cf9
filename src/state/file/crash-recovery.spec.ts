import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { FileStateRepository } from './file-state.repository.js';
import { StateLockedError } from './state-dir-lock.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const SOURCES = ['src/common/domain', 'src/tasks/domain', 'src/state', 'test/fixtures/state'];

/** Transpiles the store and the child script to plain ESM in `out` (no type checking). */
async function buildChild(out: string): Promise<string> {
  for (const folder of SOURCES) {
    for (const entry of await readdir(join(ROOT, folder), { recursive: true })) {
      const file = join(ROOT, folder, entry);
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      const { outputText } = ts.transpileModule(await readFile(file, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
      });
      const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, outputText);
    }
  }
  await writeFile(join(out, 'package.json'), '{"type":"module"}');
  await symlink(join(ROOT, 'node_modules'), join(out, 'node_modules'));
  return join(out, 'test/fixtures/state/crash-child.js');
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', onLine);
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()),
  );

describe('file state store across processes', () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'state-crash-'));
    await chmod(dir, 0o755);
    script = await buildChild(join(dir, 'build'));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps every acknowledged change when the owner is killed with SIGKILL mid-burst', async () => {
    const stateFile = join(dir, 'crash', 'state.json');
    const child = spawn(process.execPath, [script, stateFile, 'burst'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const created = new Set<string>();
    const claimed = new Map<string, number>();
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    let enough!: () => void;
    const acknowledgedEnough = new Promise<void>((resolve) => (enough = resolve));
    lines(child, (line) => {
      const [what, id, version] = line.split(' ');
      if (what === 'opened') opened();
      if (what === 'created') created.add(id!);
      if (what === 'claimed') claimed.set(id!, Number(version));
      if (created.size >= 400) enough();
    });
    await isOpen;

    // While it runs, the child owns the directory: this process is refused, told its pid.
    const refused = await FileStateRepository.open({ stateFile }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateLockedError);
    expect((refused as Error).message).toContain(`pid ${child.pid}`);

    await acknowledgedEnough;
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');

    const repo = await FileStateRepository.open({ stateFile });
    try {
      expect(repo.startup.lockTakenOverFrom).toBe(child.pid);
      const damage = repo.startup.warnings.filter((w) => w.code !== 'stale_lock_taken_over');
      expect(damage.every((w) => w.code === 'journal_torn_tail')).toBe(true);
      const found = new Set((await repo.getTasks([...created])).map((t) => t.id));
      expect([...created].filter((id) => !found.has(id))).toEqual([]);
      const lostClaims: string[] = [];
      for (const [id, version] of claimed) {
        const task = await repo.getTask(id);
        const kept =
          task?.status === 'claimed' && task.holder === 'crash-agent' && task.token_version >= version;
        if (!kept) lostClaims.push(id);
      }
      expect(lostClaims).toEqual([]);
      expect(claimed.size).toBeGreaterThan(0);
    } finally {
      await repo.close();
    }
  }, 20_000);

  it('reports state_write_failed when the process may not write the directory (EACCES)', async () => {
    const stateDir = join(dir, 'read-only');
    await mkdir(stateDir, { mode: 0o755 });
    if (process.getuid?.() !== 0) {
      await chmod(stateDir, 0o555);
      const error = await FileStateRepository.open({ stateFile: join(stateDir, 'state.json') }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'state_write_failed', message: expect.stringContaining('EACCES') });
      return;
    }
    // root ignores permissions: run the store as `nobody` in a directory owned by root.
    const child = spawn(process.execPath, [script, join(stateDir, 'state.json'), 'open'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      uid: 65534,
      gid: 65534,
    });
    const output: string[] = [];
    lines(child, (line) => output.push(line));
    await exited(child);
    expect(output.join('\n')).toMatch(/^error state_write_failed .*EACCES/);
  });
});
