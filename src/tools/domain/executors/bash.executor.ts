import { MAX_COMMAND_CHARS, MAX_COMMAND_WORDS } from '../command-arg-caps.js';
import { toArgv, vetCommand } from '../command-argv.js';
import { type CommandResult } from '../process-runner.js';
import { commandTimedOut } from '../tool-errors.js';
import { type ToolContext, type ToolExecutor } from '../tool-executor.js';

export interface BashArgs {
  /** A command line, or an argv list (always run without a shell). */
  readonly command: string | readonly string[];
  /** null is the workspace root, as absent (the earlier SDK sends `cwd: None`). */
  readonly cwd?: string | null;
  /** Seconds; shortens `tools.command_timeout_seconds` for this call, never lengthens it. */
  readonly timeout?: number | null;
}

/** The answer: the command's result, `status: completed` (the earlier API's) and the timeout applied. */
export type BashResult = CommandResult & { readonly status: 'completed'; readonly timeout_seconds: number };

/** Largest `timeout` accepted (a day); the server's cap applies below it anyway. */
export const MAX_TIMEOUT_ARG_SECONDS = 86_400;

/** Where programs are looked up when the server's own PATH has no absolute entry. */
const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

/**
 * git reads no system or global config (the global one would be `~/.gitconfig`, and HOME is
 * the workspace) and runs no hooks: a hook or `core.fsmonitor` planted in the workspace would
 * run code at the next git command. Variables, so git started by any program sees them too.
 */
const GIT_HARDENING: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_COUNT: '2',
  GIT_CONFIG_KEY_0: 'core.hooksPath',
  GIT_CONFIG_VALUE_0: '/dev/null',
  GIT_CONFIG_KEY_1: 'core.fsmonitor',
  GIT_CONFIG_VALUE_1: 'false',
  GIT_TERMINAL_PROMPT: '0',
};

/**
 * The child's whole environment. Nothing else of the server's is passed on: its secrets
 * (ORCHESTRATOR_JWT_SECRET, database URLs) must never reach an agent's command. PATH keeps
 * only absolute entries, so a `.` in it cannot run a program planted in the workspace.
 */
export function commandEnvironment(workspaceRoot: string, path = process.env.PATH): Record<string, string> {
  const absolute = (path ?? '').split(':').filter((dir) => dir.startsWith('/'));
  return {
    PATH: absolute.length > 0 ? absolute.join(':') : FALLBACK_PATH,
    HOME: workspaceRoot,
    // Fixed rather than inherited: messages in one language, UTF-8 output.
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    TMPDIR: '/tmp',
    ...GIT_HARDENING,
  };
}

export const bashExecutor: ToolExecutor<BashArgs> = {
  name: 'bash',
  runsCommands: true,
  description:
    "Runs a command in the workspace. Without shell operators allowed it runs without a shell (no ;, |, &&, $, globs or redirections). `timeout` (seconds) may shorten the server's limit, never lengthen it.",
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['command'],
    properties: {
      command: {
        type: ['string', 'array'],
        minLength: 1,
        maxLength: MAX_COMMAND_CHARS,
        minItems: 1,
        maxItems: MAX_COMMAND_WORDS,
        items: { type: 'string' },
      },
      cwd: { type: ['string', 'null'], minLength: 1, maxLength: 4096 },
      timeout: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: MAX_TIMEOUT_ARG_SECONDS },
    },
  },
  async run(args, context: ToolContext): Promise<BashResult> {
    const { workspace, allowShellOperators } = context;
    vetCommand(args.command, allowShellOperators, workspace.root);
    const cwd = await workspace.resolveDirectory(args.cwd ?? '.', 'cwd');
    // Recorded, not judged: a command reaches the whole workspace whatever its cwd.
    context.paths.note(cwd.rel);
    const timeoutMs =
      typeof args.timeout === 'number'
        ? Math.min(context.commandTimeoutMs, Math.max(1, Math.round(args.timeout * 1000)))
        : context.commandTimeoutMs;
    const argv =
      typeof args.command !== 'string'
        ? [...args.command]
        : allowShellOperators
          ? ['/bin/sh', '-c', args.command]
          : toArgv(args.command);
    const result = await context.sandbox.run({
      argv,
      cwd: cwd.real,
      env: commandEnvironment(workspace.root),
      timeoutMs,
      maxOutputBytes: context.maxOutputBytes,
      network: context.network,
      gitWritable: context.gitWritable,
    });
    if (result.timed_out) {
      throw commandTimedOut(
        `command ran longer than ${timeoutMs / 1000} s; it was killed with every process it started`,
        result,
      );
    }
    return { status: 'completed', ...result, timeout_seconds: timeoutMs / 1000 };
  },
};
