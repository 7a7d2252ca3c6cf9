import { type Command, CommanderError } from 'commander';
import { BLOCKING_EXIT_CODE, HOOK_TIMEOUT_MS, runClaudeCodeHook } from './claude-code-hook.js';
import { claudeCodeSettings } from './claude-code-settings.js';
import { preToolUseOutput } from '../domain/hook-output.js';

/**
 * The whole hook, stdin included, answers within this time whatever happens: Claude Code's own
 * hook timeout (10 s in the documented settings) does not block the tool.
 */
export const HOOK_DEADLINE_MS = 8000;

/** Reads all of stdin, or fails when it does not end in time (a hook must never hang). */
function readStdin(timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const timer = setTimeout(() => {
      // Let the process exit even though the writer never closed the pipe.
      process.stdin.destroy();
      reject(new Error(`stdin did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => (data += chunk));
    process.stdin.on('end', () => {
      clearTimeout(timer);
      resolve(data);
    });
    process.stdin.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Denies and exits 2 at once. Claude Code blocks a tool only on exit code 2: any other failure
 * (a crash exits 1) would let the tool run.
 */
function failClosed(reason: string): never {
  const text = `orchestrator hook failed closed: ${reason}`;
  try {
    process.stdout.write(`${JSON.stringify(preToolUseOutput(false, text))}\n`);
    process.stderr.write(`${text}\n`);
  } finally {
    process.exit(BLOCKING_EXIT_CODE);
  }
}

/** From here on, nothing the process does can end it with a code other than 0 or 2. */
function failClosedOnAnyCrash(): void {
  process.on('uncaughtException', (error) => failClosed(`crashed: ${error.message}`));
  process.on('unhandledRejection', (reason) =>
    failClosed(`crashed: ${reason instanceof Error ? reason.message : String(reason)}`),
  );
  // Counted from the start of the process (performance.now()), loading included.
  const left = Math.max(0, HOOK_DEADLINE_MS - performance.now());
  setTimeout(() => failClosed(`no decision within ${HOOK_DEADLINE_MS} ms`), left).unref();
}

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
    .action(async (opts: { tokenFile?: string; url?: string; toolMap?: string }) => {
      failClosedOnAnyCrash();
      let stdin: string;
      try {
        stdin = await readStdin(HOOK_TIMEOUT_MS);
      } catch (error) {
        stdin = '';
        process.stderr.write(`orchestrator hook: ${(error as Error).message}\n`);
      }
      const result = await runClaudeCodeHook({ stdin, env: process.env, ...opts });
      process.stdout.write(result.stdout);
      if (result.stderr) process.stderr.write(result.stderr);
      process.exitCode = result.exitCode === 0 ? 0 : BLOCKING_EXIT_CODE;
    });
  hook
    .command('claude-code-settings')
    .description(
      'print the .claude/settings.json hook that runs this installation by absolute path (never a package lookup)',
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
