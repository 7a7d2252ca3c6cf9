import { parse } from 'shell-quote';
import { checkCommand, type CommandRules } from '../../workflow/domain/command-policy.js';
import { invalidToolArgs, outsideWorkspace, shellOperatorRefused } from './tool-errors.js';

const NO_OPERATORS: CommandRules = { allowed: null, forbidden: [], operators: new Set() };
const ANY_OPERATOR: CommandRules = { allowed: null, forbidden: [], operators: 'all' };

/**
 * Defence in depth for `bash`: the policy has already judged the command against the
 * workflow, but the executor re-runs the engine's own checks that do not depend on the
 * workflow (operators, redirections and arguments leaving the workspace) before running it.
 */
export function vetCommand(command: string | readonly string[], allowOperators: boolean, root: string): void {
  const verdict = checkCommand(command, allowOperators ? ANY_OPERATOR : NO_OPERATORS, root);
  if (verdict.ok) return;
  if (verdict.rule === 'shell_operator') throw shellOperatorRefused(`command: ${verdict.reason}`);
  if (verdict.rule === 'path_escape') throw outsideWorkspace(`command: ${verdict.reason}`);
  throw invalidToolArgs(`command: ${verdict.reason}`, 'command');
}

/**
 * The argv of a command string that runs WITHOUT a shell. Quotes and escapes are honoured;
 * anything only a shell gives meaning to (operators, globs, comments) is refused rather than
 * passed on literally, so the command never means something other than what was checked.
 */
export function toArgv(command: string): string[] {
  // Variables are left as text: nothing from this process's environment may leak in.
  const entries = parse(command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      argv.push(entry);
    } else if ('op' in entry && entry.op === 'glob') {
      throw shellOperatorRefused(
        `command: the glob '${entry.pattern}' needs a shell; name the files, or use the glob tool`,
      );
    } else if ('op' in entry) {
      throw shellOperatorRefused(`command: shell operator '${entry.op}' is not allowed`);
    } else {
      throw shellOperatorRefused('command: shell comments are not allowed');
    }
  }
  if (argv.length === 0 || argv[0] === '') throw invalidToolArgs('command: empty command', 'command');
  return argv;
}
