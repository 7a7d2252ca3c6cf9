import { type Command, CommanderError, InvalidArgumentError } from 'commander';
import { failClosed, runHookProcess } from './claude-code-hook.process.js';
import { claudeCodeCurlHookCommand, findCurl } from './claude-code-curl-hook.js';
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
      'print the .claude/settings.json hook: curl posting to the server (default, a few ms per call) or this installation’s lean Node entry, by absolute path (never a package lookup)',
    )
    .option(
      '--token-file <path>',
      'token file the hook reads (the curl hook reads <path>.headers, which the SDKs write beside it)',
      '$CLAUDE_PROJECT_DIR/.orchestrator/phase-token.json',
    )
    .option('--hook <kind>', 'curl or node (node: for --tool-map, or where there is no curl)', 'curl')
    .option(
      '--url <url>',
      'orchestrator base URL the curl hook posts to',
      process.env.ORCHESTRATOR_URL ?? DEFAULT_URL,
    )
    .action((opts: { tokenFile: string; hook: string; url: string }) => {
      process.stdout.write(`${JSON.stringify(settingsFor(opts), null, 2)}\n`);
    });
}

const DEFAULT_URL = 'http://127.0.0.1:8000';

function settingsFor(opts: { tokenFile: string; hook: string; url: string }): object {
  if (opts.hook === 'node') return claudeCodeSettings({ tokenFile: opts.tokenFile });
  if (opts.hook !== 'curl') throw new InvalidArgumentError(`--hook must be curl or node, not ${opts.hook}`);
  const curl = findCurl();
  if (!curl) throw new InvalidArgumentError('no curl on PATH: install curl, or use --hook node');
  let command: string;
  try {
    command = claudeCodeCurlHookCommand({ tokenFile: opts.tokenFile, url: opts.url, curl });
  } catch (error) {
    throw new InvalidArgumentError(`--url: ${(error as Error).message}`);
  }
  return claudeCodeSettings({ tokenFile: opts.tokenFile }, command);
}
