import { randomUUID } from 'node:crypto';
import { ConflictError, OrchestratorError, StalePhaseTokenError, TransitionBlockedError } from './errors.js';
import { HttpTransport } from './http.transport.js';
import { type RetryOptions } from './retry.policy.js';
import {
  type Artifacts,
  type ClaimResult,
  type CompletionResult,
  type LeaseView,
  type StateSnapshot,
  type TaskView,
  type ToolDecision,
  type ToolExecution,
  type TransitionResult,
} from './sdk.types.js';
import { removeHookHeaderFile, writeHookHeaderFile } from './hook-header-file.js';
import { readTokenFile, removeTokenFile, writeTokenFile } from './token-file.js';

export interface HeartbeatOptions {
  /** Fixed interval in ms; default a third of the lease granted at claim. */
  intervalMs?: number;
  /** Called when a background heartbeat fails (the loop stops on a conflict or stale token). */
  onError?: (error: unknown) => void;
}

export interface AgentClientOptions {
  baseUrl: string;
  agentId: string;
  accessToken: string;
  /**
   * Where to share `{task_id, phase, phase_token, base_url}` (mode 0600, written atomically; a
   * missing directory is created 0700) with helpers like the hook; `resumeTask()` reads it.
   * Beside it, `<tokenFile>.headers` holds the curl hook's headers (access and phase token, 0600).
   */
  tokenFile?: string;
  fetch?: typeof fetch;
  retry?: RetryOptions;
  /** Per-attempt HTTP timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** `false` disables the background heartbeat. */
  heartbeat?: boolean | HeartbeatOptions;
}

interface Held {
  task: TaskView;
  phase: string;
  phaseToken: string;
  allowedTools: string[];
}

/** The smallest interval the background heartbeat uses, so a tiny lease cannot flood the server. */
const MIN_HEARTBEAT_MS = 50;

/**
 * An agent's session with the orchestrator: claims a task, keeps its phase token current,
 * heartbeats the lease, and turns every refusal into a typed error.
 */
export class AgentClient implements AsyncDisposable {
  private readonly http: HttpTransport;
  private held: Held | undefined;
  private timer: NodeJS.Timeout | undefined;
  private heartbeatMs: number | undefined;
  /** Serialises token-file writes so the file always ends with the newest token. */
  private fileWrites: Promise<void> = Promise.resolve();

  constructor(private readonly options: AgentClientOptions) {
    this.http = new HttpTransport({
      baseUrl: options.baseUrl,
      accessToken: options.accessToken,
      fetch: options.fetch,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
    });
  }

  /** The held task's id, or undefined. */
  get taskId(): string | undefined {
    return this.held?.task.id;
  }

  /** The held task's current phase, or undefined. */
  get phase(): string | undefined {
    return this.held?.phase;
  }

  /** The current phase token, or undefined. */
  get phaseToken(): string | undefined {
    return this.held?.phaseToken;
  }

  /** Tools the current phase allows, as the server last said. */
  get allowedTools(): string[] {
    return this.held?.allowedTools ?? [];
  }

  /** The interval of the background heartbeat, when it runs. */
  get heartbeatIntervalMs(): number | undefined {
    return this.timer ? this.heartbeatMs : undefined;
  }

  /**
   * Claims a task; null when none is (204). When the agent already holds one (its earlier process
   * crashed), the server hands that one back with a fresh phase token and `resumed: true`.
   * Not retried automatically; calling it again after a lost answer resumes the task it claimed.
   */
  async claimTask(request: { capabilities?: string[] } = {}): Promise<ClaimResult | null> {
    const { status, body } = await this.http.call<ClaimResult>('POST', '/api/v1/tasks/claim', {
      body: { agent_id: this.options.agentId, capabilities: request.capabilities ?? [] },
      retryable: false,
    });
    if (status === 204 || body === null) {
      await this.forgetTask();
      return null;
    }
    body.resumed = body.resumed === true;
    this.held = {
      task: body.task,
      phase: body.phase,
      phaseToken: body.phase_token,
      allowedTools: body.allowed_tools,
    };
    await this.saveToken();
    this.startHeartbeat(Date.parse(body.lease_expires_at) - Date.now());
    return body;
  }

  /**
   * On start: when `tokenFile` is left over from an earlier process of this agent, picks that
   * task up again (a claim, which the server answers with the held task, `resumed: true`, and a
   * fresh phase token; the old one is stale from then on). Null when there is no token file, so
   * a fresh start claims nothing. When the old task is gone (lease ran out, cancelled), the claim
   * may hand out the next eligible task instead (`resumed: false`).
   */
  async resumeTask(request: { capabilities?: string[] } = {}): Promise<ClaimResult | null> {
    const file = this.options.tokenFile;
    if (!file || !(await readTokenFile(file))) return null;
    return this.claimTask(request);
  }

  /**
   * Moves the task to `target`; throws TransitionBlockedError when a gate blocks. Retried safely:
   * every attempt of one call carries the same Idempotency-Key, which the server honours.
   */
  async requestTransition(
    target: string,
    artifacts: Artifacts,
    options: { idempotencyKey?: string } = {},
  ): Promise<TransitionResult> {
    const held = this.requireTask();
    const { body } = await this.http.call<TransitionResult | BlockedBody>(
      'POST',
      '/api/v1/tasks/transition',
      {
        body: {
          task_id: held.task.id,
          current_phase: held.phase,
          target_phase: target,
          phase_token: held.phaseToken,
          artifacts,
        },
        headers: { 'idempotency-key': options.idempotencyKey ?? randomUUID() },
        retryable: true,
      },
    );
    if (!body.allowed) throw blocked(`transition ${held.phase} → ${target} blocked`, body);
    held.phase = body.phase;
    held.phaseToken = body.new_token;
    held.allowedTools = body.allowed_tools;
    await this.saveToken();
    return body;
  }

  /** Completes the task from its final phase; throws TransitionBlockedError when a gate blocks. Not retried. */
  async complete(artifacts: Artifacts): Promise<CompletionResult> {
    const held = this.requireTask();
    const { body } = await this.http.call<CompletionResult | BlockedBody>(
      'POST',
      `/api/v1/tasks/${encodeURIComponent(held.task.id)}/complete`,
      { body: { phase_token: held.phaseToken, artifacts }, retryable: false },
    );
    if (!('completed' in body) || !body.completed) throw blocked('completion blocked', body as BlockedBody);
    await this.forgetTask();
    return body;
  }

  /** Asks whether the current phase allows a tool with these arguments (for agents that run tools themselves). */
  async authorizeTool(toolName: string, args: Record<string, unknown> = {}): Promise<ToolDecision> {
    const held = this.requireTask();
    const { body } = await this.http.call<ToolDecision>('POST', '/api/v1/tools/authorize', {
      body: { task_id: held.task.id, phase_token: held.phaseToken, tool_name: toolName, args },
      retryable: true,
    });
    return body;
  }

  /** Runs a tool on the server; throws ToolForbiddenError when the phase denies it. Not retried. */
  async useTool<R = Record<string, unknown>>(
    toolName: string,
    args: Record<string, unknown> = {},
  ): Promise<ToolExecution<R>> {
    const held = this.requireTask();
    const { body } = await this.http.call<ToolExecution<R>>('POST', '/api/v1/tools/execute', {
      body: { task_id: held.task.id, phase_token: held.phaseToken, tool_name: toolName, args },
      retryable: false,
    });
    return body;
  }

  /** Reads one file (`read_files {path}`). */
  readFile(path: string): Promise<ToolExecution> {
    return this.useTool('read_files', { path });
  }

  /** Writes one file (`write_files {path, content}`). */
  writeFile(path: string, content: string): Promise<ToolExecution> {
    return this.useTool('write_files', { path, content });
  }

  /** Replaces a string in a file (`edit_files {path, old_string, new_string, replace_all?}`). */
  editFile(path: string, oldString: string, newString: string, replaceAll = false): Promise<ToolExecution> {
    return this.useTool('edit_files', {
      path,
      old_string: oldString,
      new_string: newString,
      replace_all: replaceAll,
    });
  }

  /** Searches file contents (`search_files`, the workflow name of `grep`: `{pattern, path?, glob?, …}`). */
  grep(
    pattern: string,
    options: { path?: string; glob?: string; [arg: string]: unknown } = {},
  ): Promise<ToolExecution> {
    return this.useTool('search_files', { ...options, pattern });
  }

  /** Lists files matching a glob (`list_files`, the workflow name of `glob`: `{pattern, cwd?}`). */
  glob(pattern: string, options: { cwd?: string; [arg: string]: unknown } = {}): Promise<ToolExecution> {
    return this.useTool('list_files', { ...options, pattern });
  }

  /** Runs a command without a shell (`bash {command, cwd?}`). */
  runCommand(command: string | string[], options: { cwd?: string } = {}): Promise<ToolExecution> {
    return this.useTool('bash', { ...options, command });
  }

  /** The held task's state as the server sees it (phase, required artifacts, blockers, next transitions). */
  async getStateSnapshot(): Promise<StateSnapshot> {
    const held = this.requireTask();
    const { body } = await this.http.call<StateSnapshot>('GET', '/api/v1/state/snapshot', {
      headers: { 'x-phase-token': held.phaseToken },
      retryable: true,
    });
    return body;
  }

  /** Extends the lease now (the background loop calls this too). */
  async heartbeat(): Promise<LeaseView> {
    const held = this.requireTask();
    const { body } = await this.http.call<LeaseView>(
      'POST',
      `/api/v1/tasks/${encodeURIComponent(held.task.id)}/heartbeat`,
      { headers: { 'x-phase-token': held.phaseToken }, retryable: true },
    );
    return body;
  }

  /** Gives the task back to the queue; it keeps its phase and artifacts. Not retried. */
  async release(): Promise<LeaseView> {
    const held = this.requireTask();
    const { body } = await this.http.call<LeaseView>(
      'POST',
      `/api/v1/tasks/${encodeURIComponent(held.task.id)}/release`,
      { headers: { 'x-phase-token': held.phaseToken }, retryable: false },
    );
    await this.forgetTask();
    return body;
  }

  /** Reports the attempt as failed; the task is retried after a backoff or fails for good. Not retried. */
  async fail(reason: string): Promise<LeaseView> {
    const held = this.requireTask();
    const { body } = await this.http.call<LeaseView>(
      'POST',
      `/api/v1/tasks/${encodeURIComponent(held.task.id)}/fail`,
      { body: { reason }, headers: { 'x-phase-token': held.phaseToken }, retryable: false },
    );
    await this.forgetTask();
    return body;
  }

  /** Stops the heartbeat and waits for pending token-file writes; the task stays claimed. */
  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.fileWrites;
  }

  /** `await using client = new AgentClient(…)` closes it at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private requireTask(): Held {
    if (!this.held) throw new OrchestratorError('no task is held; call claimTask() first', 'no_task_held', 0);
    return this.held;
  }

  private async forgetTask(): Promise<void> {
    this.stopHeartbeat();
    this.held = undefined;
    const file = this.options.tokenFile;
    if (file)
      await this.queueFileWrite(() =>
        Promise.all([removeTokenFile(file), removeHookHeaderFile(file)]).then(() => undefined),
      );
  }

  private async saveToken(): Promise<void> {
    const file = this.options.tokenFile;
    const held = this.held;
    if (!file || !held) return;
    const content = {
      task_id: held.task.id,
      phase: held.phase,
      phase_token: held.phaseToken,
      base_url: this.http.baseUrl,
    };
    const tokens = { accessToken: this.options.accessToken, phaseToken: held.phaseToken };
    // Headers first: a hook that sees the new token file finds the headers of the same phase.
    await this.queueFileWrite(() =>
      writeHookHeaderFile(file, tokens).then(() => writeTokenFile(file, content)),
    );
  }

  private queueFileWrite(write: () => Promise<void>): Promise<void> {
    this.fileWrites = this.fileWrites.then(write, write);
    return this.fileWrites;
  }

  private startHeartbeat(leaseMs: number): void {
    this.stopHeartbeat();
    const setting = this.options.heartbeat ?? true;
    if (setting === false) return;
    const options = setting === true ? {} : setting;
    const interval = options.intervalMs ?? (Number.isFinite(leaseMs) ? leaseMs / 3 : undefined);
    if (interval === undefined) return;
    this.heartbeatMs = Math.max(MIN_HEARTBEAT_MS, Math.floor(interval));
    const tick = () => {
      this.heartbeat().then(
        () => {
          if (this.timer) this.timer = schedule(tick, this.heartbeatMs!);
        },
        (error: unknown) => {
          options.onError?.(error);
          // A lost task or a stale token will not heal by heartbeating again.
          const fatal = error instanceof ConflictError || error instanceof StalePhaseTokenError;
          if (this.timer && !fatal) this.timer = schedule(tick, this.heartbeatMs!);
          else this.timer = undefined;
        },
      );
    };
    this.timer = schedule(tick, this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface BlockedBody {
  allowed?: false;
  completed?: false;
  /** One line per blocker. */
  blockers?: unknown[];
  /** The structured findings (servers before issue 16 sent them in `blockers`). */
  blocker_details?: unknown[];
  warnings?: unknown[];
}

function blocked(prefix: string, body: BlockedBody): TransitionBlockedError {
  const lines = body.blockers ?? [];
  const blockers = body.blocker_details ?? lines;
  const summary = lines.map((b) => (typeof b === 'string' ? b : JSON.stringify(b))).join('; ');
  return new TransitionBlockedError(`${prefix}: ${summary}`, blockers, body.warnings ?? [], body as never);
}

/** An unref'd timer: the heartbeat alone must not keep a finished agent process alive. */
function schedule(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return timer;
}
