import { posix } from 'node:path';
import picomatch from 'picomatch';

/**
 * Argument keys that hold workspace paths, for every tool unless its constraints set
 * `path_args`. `pattern` is deliberately absent: search tools use it for a regular
 * expression, not a path; a workflow whose tool takes a path glob there lists it in
 * `path_args`. Values may be a string, a list of strings, or a list of objects carrying
 * these keys (e.g. `files: [{path, content}]`).
 */
export const DEFAULT_PATH_ARGS: readonly string[] = [
  'path',
  'paths',
  'file',
  'files',
  'file_path',
  'file_paths',
  'filename',
  'notebook_path',
  'dir',
  'directory',
  'cwd',
  'source',
  'src',
  'destination',
  'dest',
  'target',
  'old_path',
  'new_path',
  'glob',
];

export type PathResult =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

/** Absolute, or with an empty, `.` or `..` segment. */
const NEEDS_NORMALISING = /^\/|\/\/|(^|\/)\.\.?(\/|$)/;

let lastRoot = '';
let lastNormalRoot = '';

/** Normalising the root on every call is wasted work: callers pass the same root. */
function normalRoot(root: string): string {
  if (root !== lastRoot) {
    lastRoot = root;
    lastNormalRoot = posix.resolve('/', root.replace(/\\/g, '/'));
  }
  return lastNormalRoot;
}

/**
 * The workspace-relative posix form of `value`, or why it is refused: a `..` escape, an
 * absolute path outside the root, a home-relative path. Lexical only (no I/O, so no
 * symlink resolution): whoever opens the file must still confine the real path.
 */
export function toWorkspacePath(value: string, workspaceRoot: string): PathResult {
  if (value === '') return { ok: false, reason: 'empty path' };
  if (value.includes('\0')) return { ok: false, reason: 'path contains a NUL byte' };
  // Backslashes count as separators so a Windows-style `..\\x` cannot slip past.
  const v = value.includes('\\') ? value.replace(/\\/g, '/') : value;
  if (v.startsWith('~'))
    return { ok: false, reason: `home-relative path '${value}' is outside the workspace` };
  // Most paths are already plain and relative: skip normalising them (it dominates the cost).
  if (!NEEDS_NORMALISING.test(v)) return { ok: true, path: v.endsWith('/') ? v.slice(0, -1) : v };
  let rel: string;
  if (v.startsWith('/')) {
    rel = posix.relative(normalRoot(workspaceRoot), posix.normalize(v));
    if (rel === '..' || rel.startsWith('../') || rel.startsWith('/')) {
      return { ok: false, reason: `absolute path '${value}' is outside the workspace root` };
    }
  } else {
    rel = posix.normalize(v);
    if (rel === '..' || rel.startsWith('../'))
      return { ok: false, reason: `path '${value}' escapes the workspace root` };
  }
  if (rel.length > 1 && rel.endsWith('/')) rel = rel.slice(0, -1);
  return { ok: true, path: rel === '' || rel === './' ? '.' : rel };
}

/** Globs may not climb at all: `**` can match zero directories, so `a/**\/..` is `..`. */
export function toWorkspaceGlob(value: string, workspaceRoot: string): PathResult {
  if (value.replace(/\\/g, '/').split('/').includes('..')) {
    return { ok: false, reason: `glob '${value}' contains '..'` };
  }
  return toWorkspacePath(value, workspaceRoot);
}

export interface PathArg {
  readonly key: string;
  readonly value: string;
  readonly glob: boolean;
}

/** The path values among `args` under `keys`; `error` names a key whose value is not a path. */
export function collectPathArgs(
  args: Readonly<Record<string, unknown>>,
  keys: ReadonlySet<string>,
): { paths: PathArg[]; error?: string } {
  const paths: PathArg[] = [];
  // Walk the few keys the call has rather than every key that could hold a path.
  for (const key in args) {
    if (!keys.has(key) || !Object.hasOwn(args, key)) continue;
    const value = args[key];
    if (value === undefined || value === null) continue;
    const error = collect(key, value, keys, paths, 0);
    if (error) return { paths, error };
  }
  return { paths };
}

const MAX_PATH_CHARS = 4096;

function collect(
  key: string,
  value: unknown,
  keys: ReadonlySet<string>,
  out: PathArg[],
  depth: number,
): string | undefined {
  if (typeof value === 'string') {
    // Linux's PATH_MAX. Longer is no path, and a workflow glob with two `*` in one segment
    // would take quadratic time over it.
    if (value.length > MAX_PATH_CHARS)
      return `argument '${key}' is ${value.length} characters long; a path has at most ${MAX_PATH_CHARS}`;
    out.push({ key, value, glob: key === 'glob' });
    return undefined;
  }
  if (Array.isArray(value) && depth === 0) {
    for (const item of value) {
      if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
        for (const inner of keys) {
          const v = (item as Record<string, unknown>)[inner];
          if (v === undefined || v === null) continue;
          const error = collect(inner, v, keys, out, 1);
          if (error) return error;
        }
      } else {
        const error = collect(key, item, keys, out, 1);
        if (error) return error;
      }
    }
    return undefined;
  }
  return `argument '${key}' must be a path string or a list of them`;
}

export interface GlobRule {
  readonly pattern: string;
  readonly test: (path: string) => boolean;
}

/** dot: true so `**` also covers dotfiles: `forbidden_patterns: ['**']` must mean everything. */
export function compileGlobs(patterns: readonly string[]): GlobRule[] {
  return patterns.map((pattern) => ({
    pattern,
    test: picomatch(pattern.replace(/^\.\//, ''), { dot: true }),
  }));
}
