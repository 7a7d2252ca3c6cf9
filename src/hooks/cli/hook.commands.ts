import { type Command, CommanderError } from 'commander';
import { failClosed, runHookProcess } from './claude-code-hook.process.js';
import { claudeCodeSettings } from './claude-code-settings.js';

/** Adds `orchestrator hook claude-code`, the PreToolUse command hook for Claude Code. */
export function registerHookCommands(program: Command): void {
  const hook = program.command('hook').description('hooks that let agent tools ask the orchestrator first');
  hook
    .command('claude-code')
    .description(
      'Claude Code PreToolUse hook: reads the hook JSON on stdin, prints allow/deny (fails closed)',
    )
    .option(
      '--token-file <path>',
      'file the SDK writes the task id and phase token to (else ORCHESTRATOR_TOKEN_FILE)',
    )
    .option('--url <url>', 'orchestrator base URL (else ORCHESTRATOR_URL, else the token file’s base_url)')
    .option('--tool-map <json>', 'extra Claude Code → workflow tool names (else ORCHESTRATOR_HOOK_TOOL_MAP)')
    // A mistyped option in settings.json would otherwise exit 1 and let every tool run.
    .exitOverride((error: CommanderError) => {
      if (error.exitCode === 0) process.exit(0);
      failClosed(error.message.replace(/^error: /, ''));
    })
    // The same process as the lean entry the settings install (claude-code-hook.main.ts).
    .action((opts: { tokenFile?: string; url?: string; toolMap?: string }) => runHookProcess(opts));
  hook
    .command('claude-code-settings')
    .description(
      'print the .claude/settings.json hook that runs this installation’s lean hook entry by absolute path (never a package lookup)',
    )
    .option(
      '--token-file <path>',
      'token file the hook reads',
      '$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json',
    )
    .action((opts: { tokenFile: string }) => {
      process.stdout.write(`${JSON.stringify(claudeCodeSettings({ tokenFile: opts.tokenFile }), null, 2)}\n`);
    });
}
