import { symlinkSync } from 'node:fs';
import { longestLoopGap } from '../testing/loop-gap.js';
import { failure, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { type GlobResult } from './glob.executor.js';

describe('glob', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({ limits: { walkMaxEntries: 50 } });
    for (const rel of [
      'src/a.ts',
      'src/b.ts',
      'src/deep/c.ts',
      'src/deep/d.js',
      'README.md',
      '.github/ci.yml',
    ]) {
      ws.file(rel, '');
    }
    ws.file('node_modules/x/index.ts', '');
  });
  afterEach(() => ws.remove());

  const glob = async (args: unknown) => (await ws.registry.execute('glob', args)).result as GlobResult;

  it('lists matching files in name order, relative to the workspace root', async () => {
    expect(await glob({ pattern: '**/*.ts' })).toEqual({
      files: ['src/a.ts', 'src/b.ts', 'src/deep/c.ts'],
      count: 3,
      truncated: false,
    });
    expect((await glob({ pattern: '**/*.yml' })).files).toEqual(['.github/ci.yml']);
    expect((await glob({ pattern: 'src/deep/c.ts' })).files).toEqual(['src/deep/c.ts']);
  });

  it('matches relative to cwd', async () => {
    expect((await glob({ pattern: '*.ts', cwd: 'src' })).files).toEqual(['src/a.ts', 'src/b.ts']);
    expect((await glob({ pattern: '**/*.js', cwd: 'src/deep' })).files).toEqual(['src/deep/d.js']);
    expect((await glob({ pattern: `${ws.root}/src/*.ts`, cwd: 'src/deep' })).files).toEqual([
      'src/a.ts',
      'src/b.ts',
    ]);
  });

  it('walks node_modules only when the pattern starts inside it', async () => {
    expect((await glob({ pattern: '**/index.ts' })).files).toEqual([]);
    expect((await glob({ pattern: 'node_modules/**/*.ts' })).files).toEqual(['node_modules/x/index.ts']);
  });

  it('caps results and walked entries', async () => {
    expect(await glob({ pattern: '**/*', max_results: 2 })).toEqual({
      files: ['.github/ci.yml', 'README.md'],
      count: 2,
      truncated: true,
    });
    for (let i = 0; i < 60; i++) ws.file(`bulk/f${i}.txt`, '');
    const result = await glob({ pattern: 'bulk/*.txt' });
    expect(result.truncated).toBe(true);
    expect(result.count).toBe(50);
  });

  it.each([['../*'], ['/etc/*'], ['src/../../*'], ['src/**/../../x'], ['~/*']])(
    'refuses the pattern %s as outside the workspace',
    async (pattern) => {
      expect(await failure(ws.registry.execute('glob', { pattern }))).toMatchObject({
        code: 'path_outside_workspace',
      });
    },
  );

  it('does not descend into symlinks, so a link to outside lists nothing from there', async () => {
    symlinkSync(ws.outside, ws.path('outdir'));
    expect((await glob({ pattern: '**/secret.txt' })).files).toEqual([]);
    expect((await glob({ pattern: 'outdir/*' })).files).toEqual([]);
    expect((await glob({ pattern: 'outdir' })).files).toEqual(['outdir']);
    expect(await failure(ws.registry.execute('glob', { pattern: '*', cwd: 'outdir' }))).toMatchObject({
      code: 'path_outside_workspace',
    });
  });

  it('rejects a cwd that is not a directory and bad arguments', async () => {
    expect(await failure(ws.registry.execute('glob', { pattern: '*', cwd: 'README.md' }))).toMatchObject({
      code: 'tool_failed',
      message: "cwd 'README.md' is not a directory",
    });
    expect(await failure(ws.registry.execute('glob', { cwd: 'src' }))).toMatchObject({
      code: 'invalid_tool_args',
      details: { field: 'pattern' },
    });
  });

  it('matches a backtracking glob off the main thread and gives up within the search budget', async () => {
    const slow = await tempWorkspace({ limits: { searchTimeoutMs: 300 } });
    try {
      // picomatch compiles `*a*a…*b` to a regex that retries every split of a name without `b`:
      // 6 wildcards over 60 characters take seconds (each one more multiplies that).
      slow.file(`names/${'a'.repeat(60)}`, '');
      const hostile = `names/${'*a'.repeat(6)}*b`;
      const ordinary = `names/${'a'.repeat(60)}`.slice(0, hostile.length - 1) + '*';
      expect(((await slow.registry.execute('glob', { pattern: ordinary })).result as GlobResult).count).toBe(
        1,
      );
      let error: unknown;
      const gap = await longestLoopGap(async () => {
        error = await failure(slow.registry.execute('glob', { pattern: hostile }));
      });
      expect(error).toMatchObject({ code: 'tool_failed', message: /pattern took longer than 300 ms/ });
      // On the main thread the loop would stall for the whole match (at least the 300 ms budget).
      expect(gap).toBeLessThan(200);
      // It keeps a core busy until its budget ends, so it takes one of the agent's command slots.
      expect(slow.registry.needsSlot('glob')).toBe(true);
    } finally {
      await slow.remove();
    }
  });
});
