import { readLineWindow } from '../line-window.js';
import { isBinary, withoutPartialChar } from '../text-content.js';
import { invalidToolArgs, toolFailed } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';
import { readPrefix } from '../workspace.js';

export interface ReadFilesArgs {
  readonly path?: string;
  readonly paths?: readonly string[];
  /** Lines to skip (0-based); with `limit`, a line window of each file (the earlier SDK's). */
  readonly offset?: number | null;
  readonly limit?: number | null;
}

export interface ReadFile {
  /** Workspace-relative path of what was read: a symlink's target, not the link. */
  readonly path: string;
  /** Size on disk; more than the content when truncated. */
  readonly size: number;
  readonly encoding: 'utf8' | 'base64';
  readonly content: string;
  /** Lines in `content` (0 for a binary file). */
  readonly lines: number;
  /** Lines skipped before `content`, when a window was asked for. */
  readonly offset?: number;
  readonly truncated: boolean;
}

/** `{path}` answers its file's fields at the top too (`content`, `lines`, `path`), as the earlier API did. */
export type ReadFilesResult = { status: 'success'; files: ReadFile[] } & Partial<ReadFile>;

const PATH = { type: 'string', minLength: 1, maxLength: 4096 };
/** Bounds of the line window; its bytes are capped by the read limits whatever the numbers. */
export const MAX_READ_OFFSET = 100_000_000;
export const MAX_READ_LIMIT = 1_000_000;

export const readFilesExecutor: ToolExecutor<ReadFilesArgs> = {
  name: 'read_files',
  description:
    'Reads files inside the workspace. Binary files come back base64-encoded; large ones truncated. `offset` (lines to skip) and `limit` (lines to return) read a window of a text file.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      path: PATH,
      paths: { type: 'array', minItems: 1, items: PATH },
      // null: the earlier SDK sends `limit: None` when it wants no limit.
      offset: { type: ['integer', 'null'], minimum: 0, maximum: MAX_READ_OFFSET },
      limit: { type: ['integer', 'null'], minimum: 1, maximum: MAX_READ_LIMIT },
    },
    oneOf: [
      { required: ['path'], properties: { paths: false } },
      { required: ['paths'], properties: { path: false } },
    ],
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<ReadFilesResult> {
    const values = args.paths ?? [args.path as string];
    if (values.length > limits.maxFilesPerCall) {
      throw invalidToolArgs(
        `'paths' lists ${values.length} files; at most ${limits.maxFilesPerCall}`,
        'paths',
      );
    }
    const offset = args.offset ?? 0;
    const limit = args.limit ?? undefined;
    const windowed = offset > 0 || limit !== undefined;
    let budget = limits.readMaxTotalBytes;
    // Shared by the call's files, so a window deep into each of many large files stays bounded.
    let scanBudget = limits.readMaxScanBytes;
    const files: ReadFile[] = [];
    for (const [i, value] of values.entries()) {
      const key = args.paths ? `paths[${i}]` : 'path';
      const file = await workspace.openFile(value, key);
      try {
        paths.admit(file.rel, 'read', `${key} '${value}'`);
        const maxBytes = Math.min(limits.readMaxFileBytes, budget);
        const head = await readPrefix(file.handle, Math.min(file.size, windowed ? 8192 : maxBytes));
        const binary = isBinary(head);
        if (windowed) {
          if (binary) throw toolFailed(`${key} '${value}' is binary; offset and limit read lines of text`);
          const window = await readLineWindow(
            file.handle,
            file.size,
            { offset, ...(limit === undefined ? {} : { limit }) },
            { maxBytes, maxScanBytes: scanBudget },
          );
          budget -= window.content.length;
          scanBudget -= window.scanned;
          files.push({
            path: file.rel,
            size: file.size,
            encoding: 'utf8',
            content: window.content.toString('utf8'),
            lines: window.lines,
            offset,
            truncated: window.truncated,
          });
          continue;
        }
        const kept = binary || head.length === file.size ? head : withoutPartialChar(head);
        budget -= kept.length;
        const content = binary ? kept.toString('base64') : kept.toString('utf8');
        files.push({
          path: file.rel,
          size: file.size,
          encoding: binary ? 'base64' : 'utf8',
          content,
          lines: binary ? 0 : countLines(content),
          truncated: kept.length < file.size,
        });
      } finally {
        await file.handle.close();
      }
    }
    return args.paths ? { status: 'success', files } : { status: 'success', ...files[0], files };
  },
};

function countLines(text: string): number {
  if (text === '') return 0;
  let breaks = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) breaks++;
  return text.endsWith('\n') ? breaks : breaks + 1;
}
