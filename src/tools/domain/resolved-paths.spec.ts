import { linkSync, readFileSync, symlinkSync, existsSync } from 'node:fs';
import { failure, tempWorkspace, type TempWorkspace } from './testing/temp-workspace.js';
import { type ResolvedPathRule } from './touched-paths.js';

/** Like TDD in the default workflow: writes only under test/, reads anything but .env. */
const rule: ResolvedPathRule = (rel, access) => {
  if (access === 'write' && !rel.startsWith('test/'))
    return { reason: 'matches no allowed pattern (test/**)', rule: 'allowed_patterns' };
  if (rel === '.env') return { reason: "matches forbidden pattern '.env'", rule: 'forbidden_patterns' };
  return null;
};

describe('paths are judged where they land', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await tempWorkspace();
    ws.file('src/app.ts', 'export const app = 1;\n');
    ws.file('.env', 'PASSWORD=hunter2\n');
    ws.file('test/real/keep.txt', 'keep\n');
    symlinkSync('../src', ws.path('test/srclink'));
    symlinkSync('../.env', ws.path('test/envlink'));
    symlinkSync('real', ws.path('test/alias'));
  });
  afterEach(() => ws.remove());

  const call = (tool: string, args: Record<string, unknown>) =>
    ws.registry.execute(tool, args, { pathRule: rule });

  it.each([
    ['write_files', { path: 'test/srclink/evil.ts', content: 'x' }, 'src/evil.ts'],
    ['write_files', { path: 'test/srclink/app.ts', content: 'x' }, 'src/app.ts'],
    ['write_files', { path: 'test/envlink', content: 'x' }, '.env'],
    ['edit_files', { path: 'test/srclink/app.ts', old_string: '1', new_string: '2' }, 'src/app.ts'],
    ['read_files', { path: 'test/envlink' }, '.env'],
    ['grep', { pattern: 'PASSWORD', path: 'test/envlink' }, '.env'],
  ])('%s %j is denied, naming %s', async (tool, args, real) => {
    const error = await failure(call(tool, args));
    expect(error).toMatchObject({ kind: 'forbidden', code: 'tool_forbidden', details: { path: real } });
    expect(error.message).toContain(`resolves to '${real}', which`);
    expect(existsSync(ws.path('src/evil.ts'))).toBe(false);
    expect(readFileSync(ws.path('src/app.ts'), 'utf8')).toBe('export const app = 1;\n');
    expect(readFileSync(ws.path('.env'), 'utf8')).toBe('PASSWORD=hunter2\n');
  });

  it('a path the rules deny as written is denied with its own name', async () => {
    const error = await failure(call('write_files', { path: 'src/app.ts', content: 'x' }));
    expect(error.message).toBe("path 'src/app.ts' matches no allowed pattern (test/**)");
  });

  it('writes through a link that stays where the rules allow, answering and recording the real path', async () => {
    const written = await call('write_files', { path: 'test/alias/new.ts', content: 'ok' });
    expect(written.result).toMatchObject({ files: [{ path: 'test/real/new.ts', bytes: 2, created: true }] });
    expect(written.paths).toEqual(['test/real/new.ts']);
    const read = await call('read_files', { path: 'test/alias/keep.txt' });
    expect(read.result).toMatchObject({ files: [{ path: 'test/real/keep.txt', content: 'keep\n' }] });
  });

  it('a search skips files the rules deny and counts them', async () => {
    const { result } = await call('grep', { pattern: 'PASSWORD|app' });
    expect(result).toMatchObject({
      matches: [{ path: 'src/app.ts', line: 1 }],
      files_skipped: { forbidden: 1 },
    });
  });

  describe('hard links', () => {
    beforeEach(() => {
      linkSync(ws.path('.env'), ws.path('test/env-copy.txt'));
    });

    it.each([
      ['read_files', { path: 'test/env-copy.txt' }],
      ['write_files', { path: 'test/env-copy.txt', content: 'x' }],
      ['edit_files', { path: 'test/env-copy.txt', old_string: 'hunter2', new_string: 'x' }],
      ['grep', { pattern: 'hunter2', path: 'test/env-copy.txt' }],
    ])('%s %j is refused and changes nothing', async (tool, args) => {
      const error = await failure(ws.registry.execute(tool, args));
      expect(error).toMatchObject({ kind: 'forbidden', code: 'hard_link_refused' });
      expect(error.message).toMatch(/is a hard link \(2 names\)/);
      expect(readFileSync(ws.path('.env'), 'utf8')).toBe('PASSWORD=hunter2\n');
    });

    it('a search skips them and counts them', async () => {
      const { result } = await ws.registry.execute('grep', { pattern: 'hunter2', path: 'test' });
      expect(result).toMatchObject({ matches: [], files_skipped: { linked: 1 } });
    });
  });
});
