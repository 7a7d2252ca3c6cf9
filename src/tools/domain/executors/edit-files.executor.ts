import { stageWrite } from '../atomic-write.js';
import { isBinary } from '../text-content.js';
import { invalidToolArgs, toolFailed } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';
import { readPrefix } from '../workspace.js';

export interface EditFilesArgs {
  readonly path: string;
  readonly old_string: string;
  readonly new_string: string;
  readonly replace_all?: boolean;
}

export interface EditResult {
  readonly path: string;
  readonly replacements: number;
  readonly bytes: number;
}

/** fatal: editing must not silently rewrite bytes that are not UTF-8; ignoreBOM keeps a BOM. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Non-overlapping occurrences, as `split` and a single replace count them. */
function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export const editFilesExecutor: ToolExecutor<EditFilesArgs> = {
  name: 'edit_files',
  description:
    'Replaces an exact string in a file. Fails if it is missing, or occurs more than once without replace_all.',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['path', 'old_string', 'new_string'],
    properties: {
      path: { type: 'string', minLength: 1, maxLength: 4096 },
      old_string: { type: 'string', minLength: 1 },
      new_string: { type: 'string' },
      replace_all: { type: 'boolean' },
    },
  },
  async run(args, { workspace, limits, paths }: ToolContext): Promise<EditResult> {
    if (args.old_string === args.new_string) {
      throw invalidToolArgs("'new_string' is the same as 'old_string'", 'new_string');
    }
    const label = `path '${args.path}'`;
    const file = await workspace.openFile(args.path, 'path');
    let data: Buffer;
    try {
      paths.admit(file.rel, 'read', label);
      if (file.size > limits.writeMaxBytes) {
        throw toolFailed(
          `${label} is ${file.size} bytes; edit_files rewrites at most ${limits.writeMaxBytes}`,
        );
      }
      data = await readPrefix(file.handle, file.size);
    } finally {
      await file.handle.close();
    }
    if (isBinary(data)) throw toolFailed(`${label} is a binary file`);
    let text: string;
    try {
      text = UTF8.decode(data);
    } catch {
      throw toolFailed(`${label} is not valid UTF-8 text`);
    }
    const count = occurrences(text, args.old_string);
    if (count === 0) throw toolFailed(`'old_string' was not found in ${label}`);
    if (count > 1 && !args.replace_all) {
      throw toolFailed(
        `'old_string' occurs ${count} times in ${label}; add surrounding text to make it unique, or set replace_all`,
      );
    }
    // split/join and slicing, not String.replace: `$&` and friends in new_string stay literal.
    const at = text.indexOf(args.old_string);
    const edited = args.replace_all
      ? text.split(args.old_string).join(args.new_string)
      : text.slice(0, at) + args.new_string + text.slice(at + args.old_string.length);
    const staged = await stageWrite(workspace, paths, { value: args.path, key: 'path', content: edited });
    await staged.commit();
    return { path: staged.rel, replacements: count, bytes: staged.bytes };
  },
};
