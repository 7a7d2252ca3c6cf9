import { readFile } from 'node:fs/promises';
import { OrchestratorError } from '../../sdk/errors.js';
import { HttpTransport } from '../../sdk/http.transport.js';
import { type ToolDecision } from '../../sdk/sdk.types.js';
import {
  type ClaudeCodeHookInput,
  hookInputProblem,
  mapClaudeCodeTool,
  parseToolMap,
} from '../domain/claude-code-tool-map.js';
import { decisionReason, preToolUseOutput } from '../domain/hook-output.js';

export interface HookRunOptions {
  /** The raw hook JSON Claude Code wrote to stdin. */
  stdin: string;
  env: NodeJS.ProcessEnv;
  tokenFile?: string;
  url?: string;
  toolMap?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface HookRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Exit code 2 makes Claude Code block the tool call and show stderr to the model. */
export const BLOCKING_EXIT_CODE = 2;
export const HOOK_TIMEOUT_MS = 5000;

/** Decides one PreToolUse call; every failure is a deny with exit code 2 (fail closed). */
export async function runClaudeCodeHook(options: HookRunOptions): Promise<HookRunResult> {
  try {
    return await decide(options);
  } catch (error) {
    const reason = `orchestrator hook failed closed: ${error instanceof Error ? error.message : String(error)}`;
    return {
      exitCode: BLOCKING_EXIT_CODE,
      stdout: `${JSON.stringify(preToolUseOutput(false, reason))}\n`,
      stderr: `${reason}\n`,
    };
  }
}

async function decide(options: HookRunOptions): Promise<HookRunResult> {
  let input: unknown;
  try {
    input = JSON.parse(options.stdin);
  } catch {
    throw new Error('stdin is not valid hook JSON');
  }
  const problem = hookInputProblem(input);
  if (problem) throw new Error(problem);
  const hook = input as ClaudeCodeHookInput;

  const toolMap = parseToolMap(options.toolMap ?? options.env.ORCHESTRATOR_HOOK_TOOL_MAP);
  const mapped = mapClaudeCodeTool(hook, toolMap);
  if ('denied' in mapped) return answer(false, `orchestrator: ${mapped.denied}`);

  const tokenFile = options.tokenFile ?? options.env.ORCHESTRATOR_TOKEN_FILE;
  if (!tokenFile) throw new Error('no token file (set ORCHESTRATOR_TOKEN_FILE or --token-file)');
  const token = await readTokenFile(tokenFile);
  const accessToken = options.env.ORCHESTRATOR_TOKEN;
  if (!accessToken) throw new Error('no access token (set ORCHESTRATOR_TOKEN)');
  const baseUrl = options.url ?? options.env.ORCHESTRATOR_URL ?? token.base_url;
  if (!baseUrl) throw new Error('no server URL (set ORCHESTRATOR_URL or --url)');

  const http = new HttpTransport({
    baseUrl,
    accessToken,
    fetch: options.fetch,
    retry: { retries: 0 },
    timeoutMs: options.timeoutMs ?? HOOK_TIMEOUT_MS,
  });
  let decision: ToolDecision;
  try {
    ({ body: decision } = await http.call<ToolDecision>('POST', '/api/v1/tools/authorize', {
      body: {
        task_id: token.task_id,
        phase_token: token.phase_token,
        tool_name: mapped.tool,
        args: mapped.args,
      },
      retryable: false,
    }));
  } catch (error) {
    if (error instanceof OrchestratorError)
      throw new Error(`${error.code}: ${error.message}`, { cause: error });
    throw error;
  }
  return answer(decision.allowed, decisionReason(decision));
}

function answer(allowed: boolean, reason: string): HookRunResult {
  return { exitCode: 0, stdout: `${JSON.stringify(preToolUseOutput(allowed, reason))}\n`, stderr: '' };
}

interface TokenFile {
  task_id: string;
  phase_token: string;
  base_url?: string;
}

async function readTokenFile(path: string): Promise<TokenFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read token file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      { cause: error },
    );
  }
  let value: Partial<TokenFile>;
  try {
    value = JSON.parse(text) as Partial<TokenFile>;
  } catch {
    throw new Error(`token file ${path} is not JSON`);
  }
  if (typeof value.task_id !== 'string' || typeof value.phase_token !== 'string') {
    throw new Error(`token file ${path} has no task_id and phase_token`);
  }
  return value as TokenFile;
}
