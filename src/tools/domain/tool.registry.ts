import { type Clock, systemClock } from '../../common/domain/clock.js';
import { builtinExecutors } from './executors/builtin-executors.js';
import { ToolArgsValidator } from './tool-args.validator.js';
import { noExecutor } from './tool-errors.js';
import { type CommandSandbox } from './sandbox/command-sandbox.js';
import { type AnyToolExecutor, type ExecuteOptions, type ToolContext } from './tool-executor.js';
import { DEFAULT_TOOL_LIMITS, type ToolLimits } from './tool-limits.js';
import { TouchedPaths } from './touched-paths.js';
import { Workspace } from './workspace.js';

export interface ToolRegistryOptions {
  /** `tools.workspace_root`; relative to the process cwd; created if missing. */
  readonly workspaceRoot: string;
  /** `tools.command_timeout_seconds`. */
  readonly commandTimeoutSeconds: number;
  /** `tools.max_output_kb`, applied to stdout and to stderr of a command separately. */
  readonly maxOutputKb: number;
  /** Where commands run (bash, git, test runners): see `openCommandSandbox`. */
  readonly sandbox: CommandSandbox;
  readonly clock?: Clock;
  readonly limits?: Partial<ToolLimits>;
  /** Replaces the built-in executors (tests, or a server with fewer tools). */
  readonly executors?: readonly AnyToolExecutor[];
}

/** What `execute` answers: the tool's JSON output, how long it took, and the real paths it touched. */
export interface ToolExecution {
  readonly result: object;
  readonly duration_ms: number;
  /** Workspace-relative paths named by the arguments, where they really landed. */
  readonly paths: string[];
}

/**
 * The tools the server can run, by name. The policy decision is the caller's and comes first;
 * `execute` then validates the arguments against the tool's schema and runs it confined to
 * the workspace. Transport-free: errors are domain errors with stable codes.
 */
export class ToolRegistry {
  private readonly executors = new Map<string, AnyToolExecutor>();
  private readonly validator = new ToolArgsValidator();
  private readonly context: Omit<ToolContext, 'allowShellOperators' | 'network' | 'gitWritable' | 'paths'>;

  private constructor(
    /** The confined root; pass `workspace.root` to the policy so both see the same paths. */
    readonly workspace: Workspace,
    options: Omit<ToolRegistryOptions, 'workspaceRoot'>,
  ) {
    for (const [key, value] of [
      ['commandTimeoutSeconds', options.commandTimeoutSeconds],
      ['maxOutputKb', options.maxOutputKb],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new Error(`tool registry: ${key} must be > 0`);
    }
    this.context = {
      workspace,
      limits: { ...DEFAULT_TOOL_LIMITS, ...options.limits },
      commandTimeoutMs: Math.round(options.commandTimeoutSeconds * 1000),
      maxOutputBytes: Math.round(options.maxOutputKb * 1024),
      clock: options.clock ?? systemClock,
      sandbox: options.sandbox,
    };
    for (const executor of options.executors ?? builtinExecutors()) this.register(executor);
  }

  /** Opens (creating) the workspace and registers the executors. */
  static async create(options: ToolRegistryOptions): Promise<ToolRegistry> {
    return new ToolRegistry(await Workspace.open(options.workspaceRoot), options);
  }

  /** The registry over a workspace already opened. */
  static over(workspace: Workspace, options: Omit<ToolRegistryOptions, 'workspaceRoot'>): ToolRegistry {
    return new ToolRegistry(workspace, options);
  }

  register(executor: AnyToolExecutor): void {
    if (this.executors.has(executor.name)) throw new Error(`tool '${executor.name}' is registered twice`);
    this.validator.add(executor.name, executor.schema);
    this.executors.set(executor.name, executor);
  }

  has(tool: string): boolean {
    return this.executors.has(tool);
  }

  /** Whether `tool` runs commands (in the sandbox). */
  runsCommands(tool: string): boolean {
    return this.executors.get(tool)?.runsCommands === true;
  }

  /** Whether a call of `tool` holds a command slot: it runs commands or may keep a core busy. */
  needsSlot(tool: string): boolean {
    const executor = this.executors.get(tool);
    return executor?.runsCommands === true || executor?.cpuBound === true;
  }

  /** How commands run: `bubblewrap`, or `none` when the operator opted out. */
  get sandboxMode(): string {
    return this.context.sandbox.status.mode;
  }

  names(): string[] {
    return [...this.executors.keys()].sort();
  }

  /** The argument schema of a tool (for API docs), or undefined without an executor. */
  schemaOf(tool: string): Readonly<Record<string, unknown>> | undefined {
    return this.executors.get(tool)?.schema;
  }

  /**
   * Runs `tool` with `args`. Throws `no_executor` (501) for a tool nothing here runs,
   * `invalid_tool_args` (400) before anything runs, then the tool's own errors:
   * `path_outside_workspace` and `shell_operator_not_allowed` (403), `tool_failed` and
   * `command_timeout` (400). A command's non-zero exit is a result, not an error.
   */
  async execute(tool: string, args: unknown, options: ExecuteOptions = {}): Promise<ToolExecution> {
    const executor = this.executors.get(tool);
    if (!executor) throw noExecutor(tool);
    const checked = this.validator.check(tool, args);
    const started = this.context.clock.now();
    const paths = new TouchedPaths(options.pathRule);
    const result = await executor.run(checked as never, {
      ...this.context,
      allowShellOperators: options.allowShellOperators ?? false,
      network: options.network ?? false,
      gitWritable: options.gitWritable ?? false,
      paths,
    });
    return { result, duration_ms: this.context.clock.now() - started, paths: paths.list() };
  }
}
