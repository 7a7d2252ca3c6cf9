import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  failure,
  OUTSIDE_SECRET,
  startSwapping,
  tempWorkspace,
  type TempWorkspace,
} from '../testing/temp-workspace.js';

describe('write_files', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({ limits: { writeMaxBytes: 1000, maxFilesPerCall: 4 } });
  });
  afterEach(() => ws.remove());

  const write = (args: unknown) => ws.registry.execute('write_files', args);
  /** Every name under the root, so a stray temp file or a partial write shows up. */
  const tree = () => readdirSync(ws.root, { recursive: true }).map(String).sort();

  it('creates a file and its parent directories', async () => {
    const { result } = await write({ path: 'tests/unit/a.spec.ts', content: 'it("x")\n' });
    expect(result).toEqual({
      status: 'success',
      mode: 'overwrite',
      files: [{ path: 'tests/unit/a.spec.ts', bytes: 8, created: true }],
      bytes_written: 8,
      path: 'tests/unit/a.spec.ts',
    });
    expect(readFileSync(ws.path('tests/unit/a.spec.ts'), 'utf8')).toBe('it("x")\n');
    expect(tree()).toEqual(['tests', 'tests/unit', 'tests/unit/a.spec.ts']);
  });

  it('writes several files and replaces existing ones, keeping their permissions', async () => {
    ws.file('run.sh', 'old');
    chmodSync(ws.path('run.sh'), 0o750);
    const { result } = await write({
      files: [
        { path: 'run.sh', content: '#!/bin/sh\necho new\n' },
        { path: 'docs/é.md', content: 'ü' },
      ],
    });
    expect(result).toEqual({
      status: 'success',
      mode: 'overwrite',
      files: [
        { path: 'run.sh', bytes: 19, created: false },
        { path: 'docs/é.md', bytes: 2, created: true },
      ],
      bytes_written: 21,
    });
    expect(readFileSync(ws.path('run.sh'), 'utf8')).toBe('#!/bin/sh\necho new\n');
    expect(statSync(ws.path('run.sh')).mode & 0o777).toBe(0o750);
  });

  describe('mode', () => {
    it.each(['w', 'overwrite'])('%s replaces the file', async (mode) => {
      ws.file('log.txt', 'old\n');
      await write({ path: 'log.txt', content: 'new\n', mode });
      expect(readFileSync(ws.path('log.txt'), 'utf8')).toBe('new\n');
    });

    it.each(['a', 'append'])('%s adds to the end (or creates), keeping permissions', async (mode) => {
      ws.file('log.txt', 'one\n');
      chmodSync(ws.path('log.txt'), 0o640);
      const { result } = await write({ path: 'log.txt', content: 'two\n', mode });
      expect(result).toMatchObject({ mode: 'append', bytes_written: 4, files: [{ created: false }] });
      expect(readFileSync(ws.path('log.txt'), 'utf8')).toBe('one\ntwo\n');
      expect(statSync(ws.path('log.txt')).mode & 0o777).toBe(0o640);
      await write({ path: 'fresh.txt', content: 'x', mode });
      expect(readFileSync(ws.path('fresh.txt'), 'utf8')).toBe('x');
      expect(tree()).toEqual(['fresh.txt', 'log.txt']);
    });

    it('append refuses a result past the write cap, changing nothing', async () => {
      ws.file('big.txt', 'b'.repeat(900));
      expect(await failure(write({ path: 'big.txt', content: 'c'.repeat(200), mode: 'a' }))).toMatchObject({
        code: 'tool_failed',
        message: expect.stringMatching(/at most 1000/),
      });
      expect(readFileSync(ws.path('big.txt'), 'utf8')).toBe('b'.repeat(900));
    });

    it.each(['x', 'create'])('%s writes new files only', async (mode) => {
      ws.file('keep.txt', 'mine');
      expect(await failure(write({ path: 'keep.txt', content: 'theirs', mode }))).toMatchObject({
        code: 'tool_failed',
        message: expect.stringMatching(/exists/),
      });
      expect(readFileSync(ws.path('keep.txt'), 'utf8')).toBe('mine');
      await write({ files: [{ path: 'n1.txt', content: '1' }], mode });
      expect(readFileSync(ws.path('n1.txt'), 'utf8')).toBe('1');
      expect(tree()).toEqual(['keep.txt', 'n1.txt']);
    });

    it.each(['r', 'w+', 'rw', '', 'APPEND', 1])('refuses mode %j with invalid_tool_args', async (mode) => {
      expect(await failure(write({ path: 'a.txt', content: 'x', mode }))).toMatchObject({
        code: 'invalid_tool_args',
      });
      expect(tree()).toEqual([]);
    });
  });

  it('writes through a symlink to its target inside the workspace', async () => {
    ws.file('real/config.json', '{}');
    symlinkSync('real/config.json', ws.path('config.json'));
    await write({ path: 'config.json', content: '{"a":1}' });
    expect(lstatSync(ws.path('config.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(ws.path('real/config.json'), 'utf8')).toBe('{"a":1}');
  });

  it('writes all files or none: a failing file leaves earlier ones untouched and no temp files', async () => {
    ws.file('keep.txt', 'original');
    ws.file('blocker', 'a regular file where a directory is needed');
    const before = tree();
    const error = await failure(
      write({
        files: [
          { path: 'keep.txt', content: 'changed' },
          { path: 'fresh.txt', content: 'new' },
          { path: 'blocker/child.txt', content: 'x' },
        ],
      }),
    );
    expect(error).toMatchObject({ code: 'tool_failed', message: /files\[2\]\.path 'blocker\/child\.txt'/ });
    expect(readFileSync(ws.path('keep.txt'), 'utf8')).toBe('original');
    expect(tree()).toEqual(before);
  });

  it('never leaves a partial file when writing fails (read-only directory)', async () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions; provoke the failure with a name that is too long.
      const error = await failure(write({ path: `ro/${'n'.repeat(300)}`, content: 'x' }));
      expect(error).toMatchObject({ code: 'tool_failed', message: /name too long/ });
    } else {
      mkdirSync(ws.path('ro'));
      chmodSync(ws.path('ro'), 0o500);
      const error = await failure(write({ path: 'ro/file.txt', content: 'x' }));
      expect(error).toMatchObject({ code: 'tool_failed', message: /permission denied/ });
      chmodSync(ws.path('ro'), 0o700);
    }
    expect(readdirSync(ws.path('ro'))).toEqual([]);
  });

  it.each([
    [{ path: 'a.txt' }, /missing argument 'content'/, 'content'],
    [{ files: [{ path: 'a' }] }, /missing argument 'files\[0\]\.content'/, 'files[0].content'],
    [{ files: [{ path: 'a', content: 'x', mode: 7 }] }, /unknown field 'files\[0\]\.mode'/, 'files[0].mode'],
    [{ files: [{ path: 'b', content: '' }], path: 'a', content: '' }, /not both/, 'path'],
    [{ path: 'a', content: 5 }, /'content' must be string/, 'content'],
    [{ path: 'a', content: 'x'.repeat(1001) }, /1001 bytes; at most 1000/, 'content'],
    [
      {
        files: [
          { path: 'a.txt', content: '' },
          { path: './a.txt', content: '' },
        ],
      },
      /files\[1\]\.path '\.\/a\.txt' repeats files\[0\]\.path/,
      'files[1].path',
    ],
  ])('rejects arguments %j before writing anything', async (args, message, field) => {
    const error = await failure(write(args));
    expect(error).toMatchObject({ code: 'invalid_tool_args', message, details: { field } });
    expect(tree()).toEqual([]);
  });

  it('refuses to write over a directory or the workspace root', async () => {
    mkdirSync(ws.path('dir'));
    expect(await failure(write({ path: 'dir', content: '' }))).toMatchObject({
      code: 'tool_failed',
      message: /is a directory/,
    });
    expect(await failure(write({ path: '.', content: '' }))).toMatchObject({
      code: 'tool_failed',
      message: /workspace root/,
    });
  });

  describe('confinement', () => {
    beforeEach(() => {
      symlinkSync(join(ws.outside, 'secret.txt'), ws.path('leak.txt'));
      symlinkSync(ws.outside, ws.path('outdir'));
      symlinkSync(join(ws.outside, 'planted.txt'), ws.path('dangling'));
      ws.file('a/keep', '');
    });

    it.each([
      ['../../etc/passwd'],
      ['/etc/passwd'],
      ['a/../../x'],
      ['../outside/new.txt'],
      ['leak.txt'],
      ['outdir/new.txt'],
      ['outdir/deeper/new.txt'],
      ['dangling'],
    ])('denies %s and changes nothing outside', async (path) => {
      const error = await failure(write({ path, content: 'PWNED' }));
      expect(error).toMatchObject({ kind: 'forbidden', code: 'path_outside_workspace' });
      expect(error.message).not.toContain(ws.outside);
      expect(readdirSync(ws.outside)).toEqual(['secret.txt']);
      expect(readFileSync(join(ws.outside, 'secret.txt'), 'utf8')).toBe(OUTSIDE_SECRET);
    });
  });

  it('never writes outside while a directory is swapped for a symlink to outside', async () => {
    mkdirSync(ws.path('sub'));
    const swapper = await startSwapping(ws.path('sub'), ws.outside);
    let denied = 0;
    let written = 0;
    const until = Date.now() + 500;
    try {
      for (let i = 0; Date.now() < until; i++) {
        try {
          await write({ path: `sub/new-${i}.txt`, content: 'x' });
          written++;
        } catch (error) {
          if ((error as { code?: string }).code === 'path_outside_workspace') denied++;
        }
      }
    } finally {
      await swapper.stop();
    }
    expect(readdirSync(ws.outside)).toEqual(['secret.txt']);
    expect(statSync(ws.path('sub')).isDirectory()).toBe(true);
    // Both outcomes happened, so the race was real.
    expect(written).toBeGreaterThan(0);
    expect(denied).toBeGreaterThan(0);
  });
});
