import { COMMAND_ARGS } from '../../workflow/domain/tool-policy.js';
import { invalidToolArgs } from './tool-errors.js';

/** Longest command line (characters, or all words of an argv together) any tool call may carry. */
export const MAX_COMMAND_CHARS = 100_000;
/** Most words in an argv command. */
export const MAX_COMMAND_WORDS = 10_000;

/**
 * The command caps of `bash`, applied to every tool call before the policy parses its command:
 * `/tools/authorize` takes any tool name, so the schema of `bash` alone does not bound what
 * the command policy (and redaction after it) is given. Throws `invalid_tool_args` (400).
 */
export function checkCommandArgs(args: Readonly<Record<string, unknown>>): void {
  for (const key of COMMAND_ARGS) {
    const command = args[key];
    if (typeof command === 'string') {
      if (command.length > MAX_COMMAND_CHARS) throw tooLong(key, command.length);
    } else if (Array.isArray(command)) {
      if (command.length > MAX_COMMAND_WORDS) {
        throw invalidToolArgs(
          `'${key}' has ${command.length} words; at most ${MAX_COMMAND_WORDS} are allowed`,
          key,
        );
      }
      let chars = 0;
      for (const word of command) chars += typeof word === 'string' ? word.length : 0;
      if (chars > MAX_COMMAND_CHARS) throw tooLong(key, chars);
    }
  }
}

function tooLong(key: string, chars: number): Error {
  return invalidToolArgs(
    `'${key}' is ${chars} characters long; at most ${MAX_COMMAND_CHARS} are allowed`,
    key,
  );
}
