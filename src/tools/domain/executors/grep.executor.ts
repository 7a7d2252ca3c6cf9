import { toWorkspaceGlob } from '../../../workflow/domain/path-policy.js';
import { walkFiles, type WalkedEntry, type WalkState } from '../file-walk.js';
import { matchingEntries } from '../glob-filter.js';
import { RegexBudget, type GlobOptions } from '../regex-scan.js';
import { clip, isBinary, splitLines } from '../text-content.js';
import { invalidToolArgs, outsideWorkspace } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';
import { MAX_GREP_RESULTS } from '../tool-limits.js';
import { readPrefix, type Workspace } from '../workspace.js';

export interface GrepArgs {
  readonly pattern: string;
  readonly path?: string;
  readonly glob?: string;
  readonly context?: number;
  readonly max_results?: number;
  readonly case_insensitive?: boolean;
}

export interface GrepMatch {
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  readonly text: string;
  readonly before?: string[];
  readonly after?: string[];
}

export interface GrepResult {
  /** The earlier API's fields: `status` and `total` (the number of matches returned). */
  readonly status: 'success';
  readonly matches: GrepMatch[];
  readonly total: number;
  /** Stopped early; `truncated_reason` says which cap. */
  readonly truncated: boolean;
  readonly truncated_reason?: 'max_results' | 'max_bytes' | 'max_entries';
  readonly files_searched: number;
  readonly bytes_searched: number;
  /** `forbidden`: the phase's path rules deny them; `linked`: hard links (several names). */
  readonly files_skipped: {
    binary: number;
    too_large: number;
    unreadable: number;
    forbidden: number;
    linked: number;
  };
}

const DEFAULT_MAX_RESULTS = 100;

/** `glob` filters files by workspace-relative path; a pattern without `/` matches the base name. */
function fileFilter(
  workspace: Workspace,
  glob: string | undefined,
): { pattern: string; options: GlobOptions; field: string } | undefined {
  if (glob === undefined) return undefined;
  const normal = toWorkspaceGlob(glob, workspace.root);
  if (!normal.ok) throw outsideWorkspace(`glob: ${normal.reason}`);
  // picomatch's `basename` option breaks patterns that do have a slash: only set it without one.
  const options = { dot: true, basename: !normal.path.includes('/') };
  return { pattern: normal.path, options, field: 'glob' };
}

export const grepExecutor: ToolExecutor<GrepArgs> = {
  name: 'grep',
  cpuBound: true,
  description:
    'Searches files for a regular expression (JavaScript syntax), with context lines. Skips binary files, node_modules and .git.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['pattern'],
    properties: {
      pattern: { type: 'string', minLength: 1, maxLength: 1000 },
      path: { type: 'string', minLength: 1, maxLength: 4096 },
      glob: { type: 'string', minLength: 1, maxLength: 1000 },
      context: { type: 'integer', minimum: 0, maximum: 20 },
      max_results: { type: 'integer', minimum: 1, maximum: MAX_GREP_RESULTS },
      case_insensitive: { type: 'boolean' },
    },
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<GrepResult> {
    let re: RegExp;
    try {
      re = new RegExp(args.pattern, args.case_insensitive ? 'i' : '');
    } catch (error) {
      throw invalidToolArgs(
        `'pattern' is not a valid regular expression: ${(error as Error).message}`,
        'pattern',
      );
    }
    const filter = fileFilter(workspace, args.glob);
    const maxResults = args.max_results ?? DEFAULT_MAX_RESULTS;
    const context = args.context ?? 0;
    const start = await workspace.resolveExisting(args.path ?? '.', 'path');
    const budget = new RegexBudget(limits.searchTimeoutMs);
    const matches: GrepMatch[] = [];
    const skipped = { binary: 0, too_large: 0, unreadable: 0, forbidden: 0, linked: 0 };
    let filesSearched = 0;
    let bytesSearched = 0;
    let reason: GrepResult['truncated_reason'];

    const search = async (rel: string, real: string, explicit: boolean) => {
      let file;
      try {
        file = await workspace.openReal(real, `path '${rel}'`);
      } catch (error) {
        // A file named by the caller must be readable; one met in a walk is skipped.
        if (explicit) throw error;
        if ((error as { code?: unknown }).code === 'hard_link_refused') skipped.linked++;
        else skipped.unreadable++;
        return;
      }
      let data: Buffer;
      try {
        if (file.size > limits.searchMaxFileBytes) {
          skipped.too_large++;
          return;
        }
        if (bytesSearched + file.size > limits.searchMaxTotalBytes) {
          reason = 'max_bytes';
          return;
        }
        data = await readPrefix(file.handle, file.size);
      } finally {
        await file.handle.close();
      }
      bytesSearched += data.length;
      if (isBinary(data)) {
        skipped.binary++;
        return;
      }
      filesSearched++;
      const lines = splitLines(data.toString('utf8'));
      const hits = await budget.matchingLines(
        lines,
        re,
        limits.searchMaxLineChars,
        maxResults - matches.length,
      );
      const text = (i: number) => clip(lines[i], limits.lineTextChars);
      for (const i of hits) {
        const match: GrepMatch = { path: rel, line: i + 1, text: text(i) };
        if (context > 0) {
          Object.assign(match, {
            before: range(Math.max(0, i - context), i).map(text),
            after: range(i + 1, Math.min(lines.length, i + 1 + context)).map(text),
          });
        }
        matches.push(match);
      }
      if (matches.length >= maxResults) reason = 'max_results';
    };

    try {
      await walkAndSearch();
    } finally {
      await budget.close();
    }
    return {
      status: 'success',
      matches,
      total: matches.length,
      truncated: reason !== undefined,
      ...(reason ? { truncated_reason: reason } : {}),
      files_searched: filesSearched,
      bytes_searched: bytesSearched,
      files_skipped: skipped,
    };

    async function walkAndSearch(): Promise<void> {
      if (await workspace.isDirectory(start.real)) {
        paths.note(start.rel);
        const state: WalkState = { visited: 0, truncated: false, unreadable: 0 };
        const walked = walkFiles(workspace, start, limits.walkMaxEntries, state);
        const entries = filter
          ? matchingEntries(notLinks(walked), (e) => e.rel, filter, budget)
          : notLinks(walked);
        for await (const entry of entries) {
          if (!paths.allows(entry.rel, 'read')) {
            skipped.forbidden++;
            continue;
          }
          await search(entry.rel, entry.real, false);
          if (reason) break;
        }
        if (!reason && state.truncated) reason = 'max_entries';
        skipped.unreadable += state.unreadable;
      } else {
        paths.admit(start.rel, 'read', `path '${args.path ?? start.rel}'`);
        await search(start.rel, start.real, true);
      }
    }
  },
};

/** Symlinks are not followed: a link to elsewhere in the workspace is searched there. */
async function* notLinks(entries: AsyncIterable<WalkedEntry>): AsyncGenerator<WalkedEntry> {
  for await (const entry of entries) if (!entry.symlink) yield entry;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
}
