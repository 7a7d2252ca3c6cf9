import { fileURLToPath } from 'node:url';
import { quote } from 'shell-quote';

/** This installation's CLI entry point (dist/cli/main.js beside dist/hooks/cli/). */
const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

/** Claude Code's own timeout for the hook, above HOOK_DEADLINE_MS. */
const CLAUDE_TIMEOUT_SECONDS = 10;

/**
 * The command Claude Code should run: this Node and this installation, by absolute path, so no
 * PATH or package-registry lookup can run someone else's `orchestrator`. `|| exit 2` turns the
 * failures the hook cannot catch itself (Node or the file gone: exit 127 or 1) into a block.
 */
export function claudeCodeHookCommand(options: { tokenFile: string; node?: string; main?: string }): string {
  // Double quotes so `$CLAUDE_PROJECT_DIR` expands; what could end or escape them is escaped.
  const tokenFile = options.tokenFile.replace(/["\\`]/g, '\\$&');
  return `${quote([options.node ?? process.execPath, options.main ?? MAIN, 'hook', 'claude-code'])} --token-file "${tokenFile}" || exit 2`;
}

/** The `.claude/settings.json` fragment that wires the command hook for every tool. */
export function claudeCodeSettings(options: { tokenFile: string; node?: string; main?: string }): object {
  return {
    hooks: {
      PreToolUse: [
        {
          matcher: '*',
          hooks: [
            { type: 'command', command: claudeCodeHookCommand(options), timeout: CLAUDE_TIMEOUT_SECONDS },
          ],
        },
      ],
    },
  };
}
