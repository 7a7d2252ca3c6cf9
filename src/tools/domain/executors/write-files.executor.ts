import { type WriteMode, writeFilesAtomically, type WrittenFile } from '../atomic-write.js';
import { invalidToolArgs } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';

export interface WriteFilesArgs {
  readonly files?: ReadonlyArray<{ readonly path: string; readonly content: string }>;
  readonly path?: string;
  readonly content?: string;
  /** For every file of the call; the earlier SDK's `w` and `a`, and `x`, are the same modes. */
  readonly mode?: WriteModeArg;
}

/** `mode` as written: our names, or the earlier SDK's (and Python's) one-letter ones. */
export const WRITE_MODES = {
  overwrite: 'overwrite',
  w: 'overwrite',
  append: 'append',
  a: 'append',
  create: 'create',
  x: 'create',
} as const satisfies Record<string, WriteMode>;
type WriteModeArg = keyof typeof WRITE_MODES;

export interface WriteFilesResult {
  readonly status: 'success';
  readonly mode: WriteMode;
  readonly files: WrittenFile[];
  /** Content bytes written by the call (for `append`, the added part). */
  readonly bytes_written: number;
  /** `{path, content}`: the file written, as the earlier API answered. */
  readonly path?: string;
}

const PATH = { type: 'string', minLength: 1, maxLength: 4096 };

export const writeFilesExecutor: ToolExecutor<WriteFilesArgs> = {
  name: 'write_files',
  description:
    'Creates or replaces files inside the workspace, creating parent directories. All files are written or none. `mode`: overwrite (w, the default), append (a) or create (x: only new files).',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      files: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path', 'content'],
          properties: { path: PATH, content: { type: 'string' } },
        },
      },
      path: PATH,
      content: { type: 'string' },
      mode: { type: 'string', enum: Object.keys(WRITE_MODES) },
    },
    oneOf: [
      { required: ['files'], properties: { path: false, content: false } },
      { required: ['path', 'content'], properties: { files: false } },
    ],
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<WriteFilesResult> {
    const mode = WRITE_MODES[args.mode ?? 'overwrite'];
    const list = args.files ?? [{ path: args.path as string, content: args.content as string }];
    const key = (i: number) => (args.files ? `files[${i}].path` : 'path');
    if (list.length > limits.maxFilesPerCall) {
      throw invalidToolArgs(`'files' lists ${list.length} files; at most ${limits.maxFilesPerCall}`, 'files');
    }
    const bytes = list.reduce((sum, f) => sum + Buffer.byteLength(f.content, 'utf8'), 0);
    if (bytes > limits.writeMaxBytes) {
      throw invalidToolArgs(
        `the content is ${bytes} bytes; at most ${limits.writeMaxBytes} per call`,
        args.files ? 'files' : 'content',
      );
    }
    // Two entries for one file would make "all or none" depend on their order.
    const seen = new Map<string, number>();
    list.forEach((f, i) => {
      const rel = workspace.relative(f.path, key(i));
      const first = seen.get(rel);
      if (first !== undefined) {
        throw invalidToolArgs(`${key(i)} '${f.path}' repeats ${key(first)}`, key(i));
      }
      seen.set(rel, i);
    });
    const files = await writeFilesAtomically(
      workspace,
      paths,
      list.map((f, i) => ({
        value: f.path,
        key: key(i),
        content: f.content,
        mode,
        maxBytes: limits.writeMaxBytes,
      })),
    );
    const written = files.reduce((sum, f) => sum + f.bytes, 0);
    return {
      status: 'success',
      mode,
      files,
      bytes_written: written,
      ...(args.files ? {} : { path: files[0].path }),
    };
  },
};
