import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { failure, OUTSIDE_SECRET, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';

describe('read_files', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({
      limits: { readMaxFileBytes: 64, readMaxTotalBytes: 100, maxFilesPerCall: 3 },
    });
    ws.file('src/a.ts', 'export const a = 1;\n');
    ws.file('src/b.ts', 'export const b = 2;\n');
  });
  afterEach(() => ws.remove());

  const read = (args: unknown) => ws.registry.execute('read_files', args);

  it('reads one file by path, its fields at the top too (the earlier API read them there)', async () => {
    const { result } = await read({ path: 'src/a.ts' });
    const file = {
      path: 'src/a.ts',
      size: 20,
      encoding: 'utf8',
      content: 'export const a = 1;\n',
      lines: 1,
      truncated: false,
    };
    expect(result).toEqual({ status: 'success', ...file, files: [file] });
  });

  describe('a line window: offset (lines skipped) and limit (lines kept)', () => {
    beforeEach(() => ws.file('lines.txt', 'one\ntwo\nthree\nfour\nfive'));

    it.each([
      [{ offset: 1, limit: 2 }, 'two\nthree\n', 2],
      [{ offset: 3 }, 'four\nfive', 2],
      [{ offset: 0, limit: 1 }, 'one\n', 1],
      [{ offset: 9 }, '', 0],
      // The earlier SDK's defaults: the whole file.
      [{ offset: 0, limit: null }, 'one\ntwo\nthree\nfour\nfive', 5],
    ])('%j → %j', async (window, content, lines) => {
      const { result } = await read({ path: 'lines.txt', ...window });
      expect(result).toMatchObject({
        status: 'success',
        path: 'lines.txt',
        content,
        lines,
        truncated: false,
      });
    });

    it('applies to every file of paths', async () => {
      const { result } = await read({ paths: ['lines.txt', 'src/a.ts'], offset: 4, limit: 1 });
      expect((result as { files: Array<{ content: string }> }).files.map((f) => f.content)).toEqual([
        'five',
        '',
      ]);
    });

    it('keeps the byte caps: a window is cut at the per-file cap, marked truncated', async () => {
      ws.file('long.txt', `skip\n${'y'.repeat(100)}\n`);
      const { result } = await read({ path: 'long.txt', offset: 1 });
      expect(result).toMatchObject({ content: 'y'.repeat(64), truncated: true, offset: 1 });
    });

    it('stops scanning for windows at readMaxScanBytes, shared by the files of a call', async () => {
      const small = await tempWorkspace({ limits: { readMaxScanBytes: 10 } });
      try {
        small.file('f.txt', 'a\nb\nc\nd\ne\nf\ng\nh\n');
        small.file('g.txt', 'a\nb\nc\n');
        const { result } = await small.registry.execute('read_files', { path: 'f.txt', offset: 7 });
        expect(result).toMatchObject({ content: '', truncated: true });
        const both = await small.registry.execute('read_files', { paths: ['f.txt', 'g.txt'], offset: 2 });
        expect((both.result as { files: Array<{ content: string; truncated: boolean }> }).files).toEqual([
          expect.objectContaining({ content: 'c\nd\ne\n', truncated: true }),
          expect.objectContaining({ content: '', truncated: true }),
        ]);
      } finally {
        small.remove();
      }
    });

    it('refuses a window of a binary file, and out-of-range numbers', async () => {
      ws.file('img.bin', Buffer.from([0x89, 0x50, 0x00, 0x01]));
      expect(await failure(read({ path: 'img.bin', offset: 1 }))).toMatchObject({ code: 'tool_failed' });
      for (const bad of [{ offset: -1 }, { offset: 1.5 }, { limit: 0 }, { limit: 'all' }, { offset: 1e9 }]) {
        expect(await failure(read({ path: 'lines.txt', ...bad }))).toMatchObject({
          code: 'invalid_tool_args',
        });
      }
    });
  });

  it('reads several files, reporting the workspace-relative paths the policy saw', async () => {
    const { result } = await read({ paths: ['./src/a.ts', `${ws.root}/src/b.ts`] });
    expect((result as { files: Array<{ path: string; content: string }> }).files).toEqual([
      expect.objectContaining({ path: 'src/a.ts', content: 'export const a = 1;\n' }),
      expect.objectContaining({ path: 'src/b.ts', content: 'export const b = 2;\n' }),
    ]);
  });

  it('follows a symlink that stays inside the workspace', async () => {
    symlinkSync('src/a.ts', ws.path('alias.ts'));
    const { result } = await read({ path: 'alias.ts' });
    // The answer names where the content came from, not the link.
    expect(result).toMatchObject({ files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] });
  });

  it('returns binary files base64-encoded', async () => {
    ws.file('img.bin', Buffer.from([0x89, 0x50, 0x00, 0x01]));
    const { result } = await read({ path: 'img.bin' });
    expect(result).toMatchObject({ files: [{ encoding: 'base64', content: 'iVAAAQ==', size: 4 }] });
  });

  it('truncates a large file at the per-file cap without splitting a UTF-8 character', async () => {
    ws.file('big.txt', `${'x'.repeat(63)}é and more`);
    const { result } = await read({ path: 'big.txt' });
    const [file] = (result as { files: Array<{ content: string; truncated: boolean; size: number }> }).files;
    expect(file.truncated).toBe(true);
    expect(file.content).toBe('x'.repeat(63));
    expect(file.size).toBe(74);
  });

  it('stops returning content once the per-call budget is spent', async () => {
    ws.file('c1.txt', 'c'.repeat(60));
    ws.file('c2.txt', 'd'.repeat(60));
    const { result } = await read({ paths: ['c1.txt', 'c2.txt'] });
    const files = (result as { files: Array<{ content: string; truncated: boolean }> }).files;
    expect(files[0]).toMatchObject({ content: 'c'.repeat(60), truncated: false });
    expect(files[1]).toMatchObject({ content: 'd'.repeat(40), truncated: true });
  });

  it('refuses more paths than the per-call cap', async () => {
    const error = await failure(read({ paths: ['a', 'b', 'c', 'd'] }));
    expect(error).toMatchObject({ code: 'invalid_tool_args', details: { field: 'paths' } });
  });

  it.each([
    [{}, /exactly one of 'path' or 'paths'/, ''],
    [{ path: 'a', paths: ['b'] }, /not both/, 'paths'],
    [{ path: 7 }, /'path' must be string/, 'path'],
    [{ paths: [] }, /'paths' must NOT have fewer than 1 items/, 'paths'],
    [{ paths: ['ok', 3] }, /'paths\[1\]' must be string/, 'paths[1]'],
    [{ path: 'a', encoding: 'utf8' }, /unknown argument 'encoding'/, 'encoding'],
  ])('rejects arguments %j', async (args, message, field) => {
    const error = await failure(read(args));
    expect(error).toMatchObject({ code: 'invalid_tool_args', details: { field } });
    expect(error.message).toMatch(message);
  });

  it('fails on a missing file, a directory or a FIFO, without a host path in the message', async () => {
    const missing = await failure(read({ path: 'nope.txt' }));
    expect(missing).toMatchObject({
      code: 'tool_failed',
      message: "path 'nope.txt': no such file or directory",
    });
    mkdirSync(ws.path('dir'));
    expect(await failure(read({ path: 'dir' }))).toMatchObject({
      code: 'tool_failed',
      message: /is a directory/,
    });
    execFileSync('mkfifo', [ws.path('pipe')]);
    expect(await failure(read({ path: 'pipe' }))).toMatchObject({
      code: 'tool_failed',
      message: /not a regular file/,
    });
    expect(missing.message).not.toContain(ws.base);
  });

  describe('confinement', () => {
    beforeEach(() => {
      symlinkSync(join(ws.outside, 'secret.txt'), ws.path('leak.txt'));
      symlinkSync(ws.outside, ws.path('outdir'));
      mkdirSync(ws.path('a'));
    });

    it.each([
      ['../../etc/passwd'],
      ['/etc/passwd'],
      ['a/../../x'],
      ['../outside/secret.txt'],
      ['~/.ssh/id_rsa'],
      ['leak.txt'],
      ['outdir/secret.txt'],
      ['src/../outdir/secret.txt'],
    ])('denies %s with path_outside_workspace', async (path) => {
      const error = await failure(read({ path }));
      expect(error).toMatchObject({ kind: 'forbidden', code: 'path_outside_workspace' });
      expect(error.message).not.toContain(OUTSIDE_SECRET);
      expect(error.message).not.toContain(ws.outside);
    });

    it('denies the whole call when one of several paths escapes', async () => {
      const error = await failure(read({ paths: ['src/a.ts', 'leak.txt'] }));
      expect(error).toMatchObject({
        code: 'path_outside_workspace',
        message: "paths[1] 'leak.txt' resolves outside the workspace",
      });
    });
  });
});
