import { type Command } from 'commander';
import { BLOCKING_EXIT_CODE, HOOK_TIMEOUT_MS, runClaudeCodeHook } from './claude-code-hook.js';

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
    .action(async (opts: { tokenFile?: string; url?: string; toolMap?: string }) => {
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
}
