import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';
import { shellDoubleQuote } from './shell-double-quote.js';

/**
 * This installation's lean hook entry (dist/hooks/cli/claude-code-hook.main.js): it runs before
 * every tool call, so it is not the whole CLI.
 */
const HOOK_ENTRY = fileURLToPath(new URL('./claude-code-hook.main.js', import.meta.url));

/** Claude Code's own timeout for the hook, above HOOK_DEADLINE_MS. */
const CLAUDE_TIMEOUT_SECONDS = 10;

export interface HookCommandOptions {
  tokenFile: string;
  /** The Node binary (default: the one running now). */
  node?: string;
  /** The hook entry file (default: this installation's). */
  entry?: string;
}

/**
 * The command Claude Code should run: this Node and this installation, by absolute path, so no
 * PATH or package-registry lookup can run someone else's `orchestrator`. `|| exit 2` turns the
 * failures the hook cannot catch itself (Node or the file gone: exit 127 or 1) into a block.
 */
export function claudeCodeHookCommand(options: HookCommandOptions): string {
  const tokenFile = shellDoubleQuote(options.tokenFile);
  return `${quote([options.node ?? process.execPath, options.entry ?? HOOK_ENTRY])} --token-file ${tokenFile} || exit 2`;
}

/** The `.claude/settings.json` fragment that wires `command` (a hook command) for every tool. */
export function claudeCodeSettings(
  options: HookCommandOptions,
  command = claudeCodeHookCommand(options),
): object {
  return {
    hooks: {
      PreToolUse: [
        {
          matcher: '*',
          hooks: [{ type: 'command', command, timeout: CLAUDE_TIMEOUT_SECONDS }],
        },
      ],
    },
  };
}
