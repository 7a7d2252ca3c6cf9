import {
  collectPathArgs,
  compileGlobs,
  DEFAULT_PATH_ARGS,
  toWorkspaceGlob,
  toWorkspacePath,
} from './path-policy.js';

const ROOT = '/work/ws';
const DEFAULTS = new Set(DEFAULT_PATH_ARGS);

describe('toWorkspacePath', () => {
  it.each([
    ['src/a.ts', 'src/a.ts'],
    ['./src/a.ts', 'src/a.ts'],
    ['src//b/../a.ts', 'src/a.ts'],
    ['src/', 'src'],
    ['.', '.'],
    ['/work/ws', '.'],
    ['/work/ws/', '.'],
    ['/work/ws/tests/x.spec.ts', 'tests/x.spec.ts'],
    ['/work/ws/a/../b', 'b'],
  ])('%s → %s', (input, expected) => {
    expect(toWorkspacePath(input, ROOT)).toEqual({ ok: true, path: expected });
  });

  it.each([
    ['../x', /escapes the workspace root/],
    ['a/../../x', /escapes the workspace root/],
    ['..', /escapes/],
    ['a\\..\\..\\x', /escapes/],
    ['/etc/passwd', /absolute path '\/etc\/passwd' is outside the workspace root/],
    ['/work/ws2/x', /outside the workspace root/],
    ['/work/ws/../ws2/x', /outside/],
    ['/', /outside/],
    ['~/.ssh/id_rsa', /home-relative/],
    ['', /empty path/],
    ['a\0b', /NUL/],
  ])('denies %j', (input, reason) => {
    const r = toWorkspacePath(input, ROOT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('accepts a root given with a trailing slash', () => {
    expect(toWorkspacePath('/work/ws/a', '/work/ws/')).toEqual({ ok: true, path: 'a' });
  });
});

describe('toWorkspaceGlob', () => {
  it('allows globs inside the workspace and refuses any ..', () => {
    expect(toWorkspaceGlob('src/**/*.ts', ROOT)).toEqual({ ok: true, path: 'src/**/*.ts' });
    expect(toWorkspaceGlob('src/**/../../x', ROOT).ok).toBe(false);
    expect(toWorkspaceGlob('/etc/*', ROOT).ok).toBe(false);
  });
});

describe('collectPathArgs', () => {
  it('reads strings, lists, and lists of objects with path keys', () => {
    const args = {
      path: 'a',
      paths: ['b', 'c'],
      files: [{ path: 'd', content: 'x' }, { file_path: 'e' }],
      content: '../not-a-path',
    };
    expect(collectPathArgs(args, DEFAULTS).paths.map((p) => p.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('does not treat pattern as a path unless told', () => {
    expect(collectPathArgs({ pattern: '../x' }, DEFAULTS).paths).toEqual([]);
    expect(collectPathArgs({ pattern: '../x' }, new Set(['pattern'])).paths).toEqual([
      { key: 'pattern', value: '../x', glob: false },
    ]);
  });

  it('refuses a path longer than PATH_MAX (a glob could spend quadratic time on it)', () => {
    expect(collectPathArgs({ path: 'a'.repeat(4096) }, DEFAULTS).error).toBeUndefined();
    expect(collectPathArgs({ paths: ['ok', `src/${'a.'.repeat(50_000)}ts`] }, DEFAULTS).error).toBe(
      "argument 'paths' is 100006 characters long; a path has at most 4096",
    );
  });

  it('marks glob args and reports non-path values', () => {
    expect(collectPathArgs({ glob: '**/*.ts' }, DEFAULTS).paths[0].glob).toBe(true);
    expect(collectPathArgs({ path: 42 }, DEFAULTS).error).toBe(
      "argument 'path' must be a path string or a list of them",
    );
    expect(collectPathArgs({ paths: [['nested']] }, DEFAULTS).error).toMatch(/'paths'/);
  });
});

describe('compileGlobs', () => {
  it('matches dotfiles and ignores a leading ./ in patterns', () => {
    const [env, tests] = compileGlobs(['**/.env', './tests/**']);
    expect(env.test('.env')).toBe(true);
    expect(env.test('config/.env')).toBe(true);
    expect(tests.test('tests/a/.b.ts')).toBe(true);
    expect(tests.test('src/tests/a.ts')).toBe(false);
  });
});
