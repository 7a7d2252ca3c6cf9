import { isBinary, withoutPartialChar } from '../text-content.js';
import { invalidToolArgs } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';
import { readPrefix } from '../workspace.js';

export interface ReadFilesArgs {
  readonly path?: string;
  readonly paths?: readonly string[];
}

export interface ReadFile {
  /** Workspace-relative path of what was read: a symlink's target, not the link. */
  readonly path: string;
  /** Size on disk; more than the content when truncated. */
  readonly size: number;
  readonly encoding: 'utf8' | 'base64';
  readonly content: string;
  readonly truncated: boolean;
}

const PATH = { type: 'string', minLength: 1, maxLength: 4096 };

export const readFilesExecutor: ToolExecutor<ReadFilesArgs> = {
  name: 'read_files',
  description:
    'Reads files inside the workspace. Binary files come back base64-encoded; large ones truncated.',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { path: PATH, paths: { type: 'array', minItems: 1, items: PATH } },
    oneOf: [
      { required: ['path'], properties: { paths: false } },
      { required: ['paths'], properties: { path: false } },
    ],
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<{ files: ReadFile[] }> {
    const values = args.paths ?? [args.path as string];
    if (values.length > limits.maxFilesPerCall) {
      throw invalidToolArgs(
        `'paths' lists ${values.length} files; at most ${limits.maxFilesPerCall}`,
        'paths',
      );
    }
    let budget = limits.readMaxTotalBytes;
    const files: ReadFile[] = [];
    for (const [i, value] of values.entries()) {
      const key = args.paths ? `paths[${i}]` : 'path';
      const file = await workspace.openFile(value, key);
      try {
        paths.admit(file.rel, 'read', `${key} '${value}'`);
        const data = await readPrefix(file.handle, Math.min(file.size, limits.readMaxFileBytes, budget));
        const binary = isBinary(data);
        const kept = binary || data.length === file.size ? data : withoutPartialChar(data);
        budget -= kept.length;
        files.push({
          path: file.rel,
          size: file.size,
          encoding: binary ? 'base64' : 'utf8',
          content: binary ? kept.toString('base64') : kept.toString('utf8'),
          truncated: kept.length < file.size,
        });
      } finally {
        await file.handle.close();
      }
    }
    return { files };
  },
};
