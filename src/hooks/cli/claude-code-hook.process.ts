import { BLOCKING_EXIT_CODE, HOOK_TIMEOUT_MS, runClaudeCodeHook } from './claude-code-hook.js';
import { preToolUseOutput } from '../domain/hook-output.js';

/**
 * The whole hook, stdin included, answers within this time whatever happens: Claude Code's own
 * hook timeout (10 s in the documented settings) does not block the tool.
 */
export const HOOK_DEADLINE_MS = 8000;

/** Where the hook finds its task and server, from its command line. */
export interface HookProcessOptions {
  tokenFile?: string;
  url?: string;
  toolMap?: string;
}

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
export function failClosed(reason: string): never {
  const text = `orchestrator hook failed closed: ${reason}`;
  try {
    process.stdout.write(`${JSON.stringify(preToolUseOutput(false, text))}\n`);
    process.stderr.write(`${text}\n`);
  } finally {
    process.exit(BLOCKING_EXIT_CODE);
  }
}

/** From here on, nothing the process does can end it with a code other than 0 or 2. */
export function failClosedOnAnyCrash(): void {
  process.on('uncaughtException', (error) => failClosed(`crashed: ${error.message}`));
  process.on('unhandledRejection', (reason) =>
    failClosed(`crashed: ${reason instanceof Error ? reason.message : String(reason)}`),
  );
  // Counted from the start of the process (performance.now()), loading included.
  const left = Math.max(0, HOOK_DEADLINE_MS - performance.now());
  setTimeout(() => failClosed(`no decision within ${HOOK_DEADLINE_MS} ms`), left).unref();
}

/**
 * One PreToolUse call as a process: reads the hook JSON on stdin, prints the decision, and sets
 * the exit code (0, or 2 on any failure).
 */
export async function runHookProcess(options: HookProcessOptions): Promise<void> {
  failClosedOnAnyCrash();
  let stdin: string;
  try {
    stdin = await readStdin(HOOK_TIMEOUT_MS);
  } catch (error) {
    stdin = '';
    process.stderr.write(`orchestrator hook: ${(error as Error).message}\n`);
  }
  const result = await runClaudeCodeHook({ stdin, env: process.env, ...options });
  process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode === 0 ? 0 : BLOCKING_EXIT_CODE;
}
