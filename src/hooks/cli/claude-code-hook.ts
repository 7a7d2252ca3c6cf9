import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { type ToolDecision } from '../../sdk/sdk.types.js';
import {
  type ClaudeCodeHookInput,
  hookInputProblem,
  mapClaudeCodeTool,
  parseToolMap,
} from '../domain/claude-code-tool-map.js';
import { decisionReason, type PreToolUseOutput, preToolUseOutput } from '../domain/hook-output.js';
import { HOOK_ROUTE } from '../hook-route.js';
import { postJson } from './hook-http.js';

export interface HookRunOptions {
  /** The raw hook JSON Claude Code wrote to stdin. */
  stdin: string;
  env: NodeJS.ProcessEnv;
  tokenFile?: string;
  url?: string;
  toolMap?: string;
  timeoutMs?: number;
}

export interface HookRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Exit code 2 makes Claude Code block the tool call and show stderr to the model. */
export const BLOCKING_EXIT_CODE = 2;
/** How long the server may take to answer. */
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

  const tokenFile = options.tokenFile ?? options.env.ORCHESTRATOR_TOKEN_FILE;
  if (!tokenFile) throw new Error('no token file (set ORCHESTRATOR_TOKEN_FILE or --token-file)');
  const token = await readTokenFile(tokenFile);
  const accessToken = options.env.ORCHESTRATOR_TOKEN;
  if (!accessToken) throw new Error('no access token (set ORCHESTRATOR_TOKEN)');
  const baseUrl = options.url ?? options.env.ORCHESTRATOR_URL ?? token.base_url;
  if (!baseUrl) throw new Error('no server URL (set ORCHESTRATOR_URL or --url)');

  const post = { baseUrl, accessToken, timeoutMs: options.timeoutMs ?? HOOK_TIMEOUT_MS };
  if ('denied' in mapped) {
    // The server denies a tool it cannot map, and audits and emits that denial like any other:
    // deciding here would let an agent call unmapped tools without a trace.
    const body = await postJson({
      ...post,
      path: HOOK_ROUTE,
      body: hook,
      headers: { 'x-phase-token': token.phase_token },
    });
    return hookAnswer(body);
  }
  const body = await postJson({
    ...post,
    path: '/api/v1/tools/authorize',
    body: {
      task_id: token.task_id,
      phase_token: token.phase_token,
      tool_name: mapped.tool,
      args: mapped.args,
    },
  });
  const decision = toolDecision(body);
  return answer(decision.allowed, decisionReason(decision));
}

/** The server's `/tools/authorize` answer, checked: anything but a boolean `allowed` is a failure. */
function toolDecision(body: unknown): ToolDecision {
  const value = body as Partial<ToolDecision> | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.allowed !== 'boolean' ||
    typeof value.reason !== 'string' ||
    typeof value.phase !== 'string' ||
    typeof value.tool !== 'string'
  ) {
    throw new Error('the server answered /tools/authorize with something that is not a tool decision');
  }
  return value as ToolDecision;
}

/** The server's hook answer, checked the same way and passed on. */
function hookAnswer(body: unknown): HookRunResult {
  const output = (body as Partial<PreToolUseOutput> | null)?.hookSpecificOutput;
  const decision = output?.permissionDecision;
  if ((decision !== 'allow' && decision !== 'deny') || typeof output?.permissionDecisionReason !== 'string') {
    throw new Error('the server answered the hook with something that is not a PreToolUse decision');
  }
  return answer(decision === 'allow', output.permissionDecisionReason);
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
    text = await readRegularFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read token file ${path}: ${code ?? (error as Error).message}`, { cause: error });
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

/** Token files are small JSON; a bigger one is not ours. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * Reads a regular file without ever blocking: opening a FIFO (or a device) for reading waits for a
 * writer in a thread the process cannot leave, so the hook could not even exit to deny.
 */
async function readRegularFile(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > MAX_TOKEN_FILE_BYTES) throw new Error(`larger than ${MAX_TOKEN_FILE_BYTES} bytes`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
