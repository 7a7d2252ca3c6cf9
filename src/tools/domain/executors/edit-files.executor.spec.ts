import { chmodSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { failure, OUTSIDE_SECRET, tempWorkspace, type TempWorkspace } from '../testing/temp-workspace.js';

describe('edit_files', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace({ limits: { writeMaxBytes: 200 } });
    ws.file('src/app.ts', 'const port = 8000;\nconst host = "0.0.0.0";\nlisten(port, host);\n');
  });
  afterEach(() => ws.remove());

  const edit = (args: unknown) => ws.registry.execute('edit_files', args);
  const text = (rel: string) => readFileSync(ws.path(rel), 'utf8');

  it('replaces a unique string', async () => {
    const { result } = await edit({ path: 'src/app.ts', old_string: '8000', new_string: '9000' });
    expect(result).toEqual({ path: 'src/app.ts', replacements: 1, bytes: 63 });
    expect(text('src/app.ts')).toBe('const port = 9000;\nconst host = "0.0.0.0";\nlisten(port, host);\n');
  });

  it('refuses an ambiguous string unless replace_all is set', async () => {
    const error = await failure(edit({ path: 'src/app.ts', old_string: 'const', new_string: 'let' }));
    expect(error).toMatchObject({
      code: 'tool_failed',
      message: /'old_string' occurs 2 times .*replace_all/,
    });
    expect(text('src/app.ts')).toContain('const port');
    const { result } = await edit({
      path: 'src/app.ts',
      old_string: 'const',
      new_string: 'let',
      replace_all: true,
    });
    expect(result).toMatchObject({ replacements: 2 });
    expect(text('src/app.ts')).toBe('let port = 8000;\nlet host = "0.0.0.0";\nlisten(port, host);\n');
  });

  it('fails when the string is not there, leaving the file as it was', async () => {
    const error = await failure(edit({ path: 'src/app.ts', old_string: 'missing', new_string: 'x' }));
    expect(error).toMatchObject({
      code: 'tool_failed',
      message: "'old_string' was not found in path 'src/app.ts'",
    });
    expect(readdirSync(ws.path('src'))).toEqual(['app.ts']);
  });

  it('inserts replacement text literally ($& and $1 are not patterns)', async () => {
    await edit({ path: 'src/app.ts', old_string: '8000', new_string: '$&-$1-$$' });
    expect(text('src/app.ts')).toContain('const port = $&-$1-$$;');
  });

  it('keeps the file mode and a byte order mark', async () => {
    ws.file('bom.txt', '\uFEFFhello');
    chmodSync(ws.path('bom.txt'), 0o640);
    await edit({ path: 'bom.txt', old_string: 'hello', new_string: 'bye' });
    expect(readFileSync(ws.path('bom.txt'))).toEqual(Buffer.from('\uFEFFbye', 'utf8'));
    expect(statSync(ws.path('bom.txt')).mode & 0o777).toBe(0o640);
  });

  it('refuses binary, non-UTF-8 and oversized files', async () => {
    ws.file('bin', Buffer.from([0x61, 0x00, 0x62]));
    ws.file('latin1', Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    ws.file('big', 'x'.repeat(201));
    const bin = await failure(edit({ path: 'bin', old_string: 'a', new_string: 'c' }));
    expect(bin).toMatchObject({ code: 'tool_failed', message: /binary/ });
    const latin = await failure(edit({ path: 'latin1', old_string: 'caf', new_string: 'tea' }));
    expect(latin).toMatchObject({ code: 'tool_failed', message: /not valid UTF-8/ });
    expect(readFileSync(ws.path('latin1'))).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    const big = await failure(edit({ path: 'big', old_string: 'x', new_string: 'y', replace_all: true }));
    expect(big).toMatchObject({ code: 'tool_failed', message: /201 bytes/ });
  });

  it.each([
    [{ path: 'src/app.ts', old_string: '', new_string: 'x' }, 'old_string'],
    [{ path: 'src/app.ts', old_string: 'a', new_string: 'a' }, 'new_string'],
    [{ path: 'src/app.ts', old_string: 'a' }, 'new_string'],
    [{ path: 'src/app.ts', old_string: 'a', new_string: 'b', replace_all: 'yes' }, 'replace_all'],
    [{ file: 'src/app.ts', old_string: 'a', new_string: 'b' }, 'path'],
  ])('rejects arguments %j', async (args, field) => {
    expect(await failure(edit(args))).toMatchObject({ code: 'invalid_tool_args', details: { field } });
  });

  it('names every problem of the arguments at once', async () => {
    const error = await failure(edit({ file: 'src/app.ts', old_string: 'a', new_string: 'b' }));
    expect(error.message).toBe(
      "invalid arguments for 'edit_files': missing argument 'path'; unknown argument 'file'",
    );
  });

  it('denies editing through a symlink to outside', async () => {
    symlinkSync(join(ws.outside, 'secret.txt'), ws.path('leak.txt'));
    const error = await failure(edit({ path: 'leak.txt', old_string: 'TOP', new_string: 'PWNED' }));
    expect(error).toMatchObject({ code: 'path_outside_workspace' });
    expect(readFileSync(join(ws.outside, 'secret.txt'), 'utf8')).toBe(OUTSIDE_SECRET);
    expect(
      await failure(edit({ path: '../outside/secret.txt', old_string: 'T', new_string: 'P' })),
    ).toMatchObject({
      code: 'path_outside_workspace',
    });
  });
});
