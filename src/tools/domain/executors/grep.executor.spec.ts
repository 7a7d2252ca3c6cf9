import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { longestLoopGap } from '../testing/loop-gap.js';
import { failure, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';
import { type GrepResult } from './grep.executor.js';

describe('grep', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({
      limits: { searchTimeoutMs: 300, searchMaxLineChars: 100, lineTextChars: 40, searchMaxFileBytes: 5000 },
    });
    ws.file('src/a.ts', 'import x from "y";\n// TODO one\nconst a = 1;\n// todo two\nexport {a};\n');
    ws.file('src/b.js', 'line\n// TODO three\n');
    ws.file('docs/readme.md', 'TODO docs\n');
    ws.file('node_modules/dep/index.js', '// TODO in a dependency\n');
    ws.file('.git/HEAD', 'TODO ref\n');
    ws.file('blob.bin', Buffer.concat([Buffer.from('TODO\0binary')]));
  });
  afterEach(() => ws.remove());

  const grep = async (args: unknown) => (await ws.registry.execute('grep', args)).result as GrepResult;
  const where = (r: GrepResult) => r.matches.map((m) => `${m.path}:${m.line}`);

  it('finds matches in name order, skipping binaries, node_modules and .git', async () => {
    const result = await grep({ pattern: 'TODO' });
    expect(where(result)).toEqual(['docs/readme.md:1', 'src/a.ts:2', 'src/b.js:2']);
    expect(result).toMatchObject({ truncated: false, files_searched: 3, files_skipped: { binary: 1 } });
  });

  it('returns context lines around each match', async () => {
    const result = await grep({ pattern: 'todo', path: 'src/a.ts', context: 1, case_insensitive: true });
    expect(result.matches).toEqual([
      {
        path: 'src/a.ts',
        line: 2,
        text: '// TODO one',
        before: ['import x from "y";'],
        after: ['const a = 1;'],
      },
      { path: 'src/a.ts', line: 4, text: '// todo two', before: ['const a = 1;'], after: ['export {a};'] },
    ]);
  });

  it("answers the earlier API's status and total beside the matches", async () => {
    const result = await grep({ pattern: 'todo', path: 'src/a.ts', case_insensitive: true });
    expect(result).toMatchObject({ status: 'success', total: 2 });
    expect(result.matches).toHaveLength(2);
  });

  it('filters files with a glob (a bare pattern matches base names)', async () => {
    expect(where(await grep({ pattern: 'TODO', glob: '*.ts' }))).toEqual(['src/a.ts:2']);
    expect(where(await grep({ pattern: 'TODO', glob: 'docs/**' }))).toEqual(['docs/readme.md:1']);
  });

  it('searches node_modules when asked for it by path', async () => {
    expect(where(await grep({ pattern: 'TODO', path: 'node_modules' }))).toEqual([
      'node_modules/dep/index.js:1',
    ]);
  });

  it('stops at max_results and says so', async () => {
    ws.file('many.txt', Array.from({ length: 50 }, (_, i) => `hit ${i}`).join('\n'));
    const result = await grep({ pattern: '^hit', max_results: 7 });
    expect(result.matches).toHaveLength(7);
    expect(result).toMatchObject({ truncated: true, truncated_reason: 'max_results' });
  });

  it('stops after the byte budget and skips files over the size cap', async () => {
    ws.file('huge.txt', `TODO\n${'x'.repeat(6000)}`);
    const capped = await tempWorkspace({ limits: { searchMaxTotalBytes: 30 } });
    try {
      capped.file('a.txt', 'TODO first file\n');
      capped.file('b.txt', 'TODO second file, over the budget\n');
      const result = (await capped.registry.execute('grep', { pattern: 'TODO' })).result as GrepResult;
      expect(where(result)).toEqual(['a.txt:1']);
      expect(result).toMatchObject({ truncated: true, truncated_reason: 'max_bytes' });
    } finally {
      await capped.remove();
    }
    expect((await grep({ pattern: 'TODO' })).files_skipped.too_large).toBe(1);
  });

  it('matches long lines on their head only and clips the text it returns', async () => {
    ws.file('long.txt', `${'a'.repeat(150)}NEEDLE\nshort NEEDLE ${'b'.repeat(60)}\n`);
    const result = await grep({ pattern: 'NEEDLE', path: 'long.txt' });
    expect(result.matches).toEqual([{ path: 'long.txt', line: 2, text: `short NEEDLE ${'b'.repeat(27)}…` }]);
  });

  it('gives up on a catastrophically backtracking pattern within its time budget', async () => {
    ws.file('evil.txt', `${'a'.repeat(40)}!\n`);
    const started = Date.now();
    const error = await failure(ws.registry.execute('grep', { pattern: '^(a+)+$', path: 'evil.txt' }));
    expect(error).toMatchObject({ code: 'tool_failed', message: /longer than 300 ms/ });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('matches off the main thread: timers keep firing while a catastrophic pattern runs', async () => {
    ws.file('evil.txt', `${'a'.repeat(40)}!\n`);
    let last = performance.now();
    let longestGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
    }, 5);
    try {
      await failure(ws.registry.execute('grep', { pattern: '^(a+)+$', path: 'evil.txt' }));
    } finally {
      clearInterval(ticker);
    }
    longestGap = Math.max(longestGap, performance.now() - last);
    // The budget is 300 ms: on the main thread one gap would be at least that long.
    expect(longestGap).toBeLessThan(200);
  });

  it('matches a backtracking glob off the main thread, under the same budget as the pattern', async () => {
    ws.file(`names/${'a'.repeat(60)}`, 'TODO\n');
    let error: unknown;
    const gap = await longestLoopGap(async () => {
      error = await failure(ws.registry.execute('grep', { pattern: 'TODO', glob: `${'*a'.repeat(9)}*b` }));
    });
    expect(error).toMatchObject({ code: 'tool_failed', message: /glob took longer than 300 ms/ });
    expect(gap).toBeLessThan(200);
    // An ordinary glob of the same length is matched as before.
    const ordinary = `${'a'.repeat(24)}*`;
    expect(where(await grep({ pattern: 'TODO', glob: ordinary }))).toEqual([`names/${'a'.repeat(60)}:1`]);
  });

  it('never searches outside: symlinks are not followed, paths and globs may not escape', async () => {
    symlinkSync(join(ws.outside, 'secret.txt'), ws.path('leak.txt'));
    symlinkSync(ws.outside, ws.path('outdir'));
    expect((await grep({ pattern: 'SECRET' })).matches).toEqual([]);
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', path: '../outside' }))).toMatchObject({
      code: 'path_outside_workspace',
    });
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', path: 'outdir' }))).toMatchObject({
      code: 'path_outside_workspace',
    });
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', glob: '../**' }))).toMatchObject({
      code: 'path_outside_workspace',
    });
  });

  it('fails on a missing path and rejects bad arguments', async () => {
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', path: 'nope' }))).toMatchObject({
      code: 'tool_failed',
    });
    mkdirSync(ws.path('empty'));
    expect((await grep({ pattern: 'x', path: 'empty' })).matches).toEqual([]);
    expect(await failure(ws.registry.execute('grep', { pattern: '(' }))).toMatchObject({
      code: 'invalid_tool_args',
      details: { field: 'pattern' },
    });
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', context: 21 }))).toMatchObject({
      code: 'invalid_tool_args',
      details: { field: 'context' },
    });
    expect(await failure(ws.registry.execute('grep', { pattern: 'x', max_results: 0 }))).toMatchObject({
      code: 'invalid_tool_args',
      details: { field: 'max_results' },
    });
  });
});
