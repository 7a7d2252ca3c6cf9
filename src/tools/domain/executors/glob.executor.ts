import { realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { toWorkspaceGlob } from '../../../workflow/domain/path-policy.js';
import { walkFiles, type WalkState } from '../file-walk.js';
import { matchingEntries } from '../glob-filter.js';
import { RegexBudget } from '../regex-scan.js';
import { outsideWorkspace } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';
import { MAX_GLOB_RESULTS } from '../tool-limits.js';

export interface GlobArgs {
  readonly pattern: string;
  readonly cwd?: string;
  readonly max_results?: number;
}

export interface GlobResult {
  /** Workspace-relative paths of matching files and symlinks, in name order. */
  readonly files: string[];
  readonly count: number;
  readonly truncated: boolean;
}

const DEFAULT_MAX_RESULTS = 1000;

export const globExecutor: ToolExecutor<GlobArgs> = {
  name: 'glob',
  // The pattern is compiled and matched in a worker under the search budget (see RegexBudget).
  cpuBound: true,
  description:
    'Lists files matching a glob (`src/**/*.ts`) relative to cwd (default: the workspace root). Skips node_modules and .git below the start.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['pattern'],
    properties: {
      pattern: { type: 'string', minLength: 1, maxLength: 1000 },
      cwd: { type: 'string', minLength: 1, maxLength: 4096 },
      max_results: { type: 'integer', minimum: 1, maximum: MAX_GLOB_RESULTS },
    },
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<GlobResult> {
    // The engine's own rule: a glob may not climb (`**` can match nothing, so `a/**/..` is `..`).
    const normal = toWorkspaceGlob(args.pattern, workspace.root);
    if (!normal.ok) throw outsideWorkspace(`pattern: ${normal.reason}`);
    const cwd = await workspace.resolveDirectory(args.cwd ?? '.', 'cwd');
    paths.note(cwd.rel);
    // An absolute pattern inside the workspace is already workspace-relative after normalising.
    const base = args.pattern.replace(/\\/g, '/').startsWith('/') ? '.' : cwd.rel;
    const pattern = normal.path;
    const max = args.max_results ?? DEFAULT_MAX_RESULTS;

    // Walk only below the pattern's literal prefix (`src/app` of `src/app/**/*.ts`).
    const scan = picomatch.scan(pattern);
    const prefix = scan.isGlob ? scan.base : posix.dirname(pattern);
    const startRel = posix.join(base, prefix);
    const start = { rel: startRel, real: workspace.absolute(startRel) };
    // Symlinks are listed, never followed, in the prefix as in the walk: a prefix that does not
    // exist, is not a directory, or passes through a symlink matches nothing.
    const real = await realpath(start.real).catch(() => null);
    if (real !== start.real || !(await workspace.isDirectory(real))) {
      return { files: [], count: 0, truncated: false };
    }

    const files: string[] = [];
    const state: WalkState = { visited: 0, truncated: false, unreadable: 0 };
    let truncated = false;
    const budget = new RegexBudget(limits.searchTimeoutMs);
    const walked = walkFiles(workspace, start, limits.walkMaxEntries, state);
    const relative = (rel: string) => (base === '.' ? rel : posix.relative(base, rel));
    const glob = { pattern, options: { dot: true, basename: false }, field: 'pattern' };
    try {
      for await (const entry of matchingEntries(walked, (e) => relative(e.rel), glob, budget)) {
        // Listed paths follow the phase's rules too: a forbidden file is not even named.
        if (!paths.allows(entry.rel, 'read')) continue;
        if (files.length >= max) {
          truncated = true;
          break;
        }
        files.push(entry.rel);
      }
    } finally {
      await budget.close();
    }
    return { files, count: files.length, truncated: truncated || state.truncated };
  },
};
