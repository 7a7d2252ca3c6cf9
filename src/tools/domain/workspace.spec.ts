import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  failure,
  OUTSIDE_SECRET,
  startSwapping,
  tempWorkspace,
  type TempWorkspace,
} from './testing/temp-workspace.js';
import { readPrefix, Workspace } from './workspace.js';

describe('Workspace', () => {
  let ws: TempWorkspace;
  let workspace: Workspace;
  beforeEach(async () => {
    ws = await tempWorkspace();
    workspace = ws.registry.workspace;
    ws.file('sub/secret.txt', 'inside');
    symlinkSync(ws.outside, ws.path('outdir'));
    symlinkSync(join(ws.outside, 'secret.txt'), ws.path('leak.txt'));
  });
  afterEach(() => ws.remove());

  it('creates a missing root and uses its real path', async () => {
    symlinkSync(ws.base, join(ws.base, 'alias'));
    const opened = await Workspace.open(join(ws.base, 'alias', 'fresh', 'root'));
    expect(opened.root).toBe(join(realpathSync(ws.base), 'fresh', 'root'));
    // Absolute arguments may use the configured form or the real one.
    expect(opened.relative(join(ws.base, 'alias', 'fresh', 'root', 'a.txt'), 'path')).toBe('a.txt');
    expect(opened.relative(join(opened.root, 'a.txt'), 'path')).toBe('a.txt');
  });

  it('resolves relative paths lexically first, the way the policy does', () => {
    expect(workspace.relative('./src//a/../b.ts', 'path')).toBe('src/b.ts');
    expect(workspace.relative('src\\win.ts', 'path')).toBe('src/win.ts');
    expect(() => workspace.relative('a/../../x', 'path')).toThrow(/escapes the workspace root/);
    expect(() => workspace.relative('a\0b', 'path')).toThrow(/NUL/);
  });

  describe('checks the opened descriptor, not only the path', () => {
    // These hand the workspace a "real" path that has since become a symlink, which is what a
    // swap between realpath and open looks like.
    it('refuses a file reached through a directory that became a symlink to outside', async () => {
      const error = await failure(workspace.openReal(join(ws.root, 'outdir', 'secret.txt'), "'x'"));
      expect(error).toMatchObject({
        code: 'path_outside_workspace',
        message: "'x' resolves outside the workspace",
      });
    });

    it('refuses a last component that became a symlink (O_NOFOLLOW)', async () => {
      const error = await failure(workspace.openReal(ws.path('leak.txt'), "'x'"));
      expect(error).toMatchObject({ code: 'path_outside_workspace', message: /changed into a symlink/ });
    });

    it('refuses to list a directory that became a symlink', async () => {
      await expect(workspace.list(ws.path('outdir'), "'d'")).rejects.toMatchObject({
        code: 'path_outside_workspace',
      });
      mkdirSync(ws.path('real'));
      // Through the symlink and back in again: where the descriptor lands is what counts.
      await expect(workspace.list(`${ws.root}/outdir/../ws/real`, "'d'")).resolves.toEqual([]);
    });
  });

  it('refuses a FIFO, inside or through a symlinked directory, without ever opening it', async () => {
    // A writer blocks in open(2) until a reader opens the FIFO: if the check opened it (even
    // non-blocking, as the read used to), the writer would be released and exit.
    mkdirSync(join(ws.outside, 'dev'));
    execFileSync('mkfifo', [join(ws.outside, 'dev', 'fifo')]);
    execFileSync('mkfifo', [ws.path('fifo')]);
    symlinkSync(join(ws.outside, 'dev'), ws.path('devdir'));
    const writers = [join(ws.outside, 'dev', 'fifo'), ws.path('fifo')].map((fifo) =>
      spawn('sh', ['-c', 'echo x > "$0"', fifo], { stdio: 'ignore' }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await failure(workspace.openFile('fifo', 'path'))).toMatchObject({
        code: 'tool_failed',
        message: "path 'fifo' is not a regular file",
      });
      expect(await failure(workspace.openFile('devdir/fifo', 'path'))).toMatchObject({
        code: 'path_outside_workspace',
        message: "path 'devdir/fifo' resolves outside the workspace",
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(writers.map((w) => w.exitCode)).toEqual([null, null]);
    } finally {
      for (const w of writers) w.kill('SIGKILL');
    }
  });

  it('never reads outside while a directory is swapped for a symlink to outside', async () => {
    const swapper = await startSwapping(ws.path('sub'), ws.outside);
    const outcomes = new Map<string, number>();
    const until = Date.now() + 500;
    try {
      while (Date.now() < until) {
        let outcome: string;
        try {
          const file = await workspace.openFile('sub/secret.txt', 'path');
          const text = (await readPrefix(file.handle, file.size)).toString('utf8');
          outcome = text === 'inside' ? 'inside' : 'LEAKED';
          await file.handle.close();
        } catch (error) {
          outcome = (error as { code?: string }).code ?? 'crash';
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    } finally {
      await swapper.stop();
    }
    expect(Object.fromEntries(outcomes)).not.toHaveProperty('LEAKED');
    expect(Object.fromEntries(outcomes)).not.toHaveProperty('crash');
    expect(outcomes.get('inside')).toBeGreaterThan(0);
    expect(outcomes.get('path_outside_workspace')).toBeGreaterThan(0);
  });

  it('creates parent directories only inside, refusing a dangling symlink that points out', async () => {
    symlinkSync(join(ws.outside, 'newdir'), ws.path('dangling-dir'));
    const error = await failure(
      workspace.openDirectoryForWrite('dangling-dir/x', 'path', 'dangling-dir/x/f'),
    );
    expect(error).toMatchObject({ code: 'path_outside_workspace', message: /symlink to outside/ });
    rmSync(ws.path('dangling-dir'));
    symlinkSync('missing-inside', ws.path('dangling-dir'));
    await expect(workspace.openDirectoryForWrite('dangling-dir/x', 'path', 'v')).rejects.toMatchObject({
      code: 'tool_failed',
    });
    writeFileSync(join(ws.outside, 'check'), OUTSIDE_SECRET);
    const dir = await workspace.openDirectoryForWrite('made/here', 'path', 'made/here/f');
    expect(dir.real).toBe(ws.path('made/here'));
    await dir.handle.close();
  });
});
