import { type Clock } from '../../common/domain/clock.js';
import { type CommandSandbox } from './sandbox/command-sandbox.js';
import { type ToolLimits } from './tool-limits.js';
import { type ResolvedPathRule, type TouchedPaths } from './touched-paths.js';
import { type Workspace } from './workspace.js';

/** Per-call choices the caller makes after the policy decision. */
export interface ExecuteOptions {
  /**
   * The workflow lets this call use shell operators (`allow_shell_operators` true or a list the
   * policy has already checked the command against). Default false: commands run without a
   * shell and any operator, expansion or glob is refused.
   */
  readonly allowShellOperators?: boolean;
  /** The workflow lets this tool's commands reach the network (`network: true`). */
  readonly network?: boolean;
  /** The workflow lets this tool write under `.git/` (`allow_git_writes: true`). */
  readonly gitWritable?: boolean;
  /** The phase's path rules, to judge every path where it really lands. Default: none. */
  readonly pathRule?: ResolvedPathRule;
}

/** What an executor gets besides its arguments. */
export interface ToolContext {
  readonly workspace: Workspace;
  readonly limits: ToolLimits;
  readonly commandTimeoutMs: number;
  /** Per stream (stdout, stderr) of a command. */
  readonly maxOutputBytes: number;
  readonly clock: Clock;
  readonly allowShellOperators: boolean;
  readonly network: boolean;
  readonly gitWritable: boolean;
  /** Where every command runs. */
  readonly sandbox: CommandSandbox;
  /** Judges and records the real paths this call touches. */
  readonly paths: TouchedPaths;
}

/**
 * One tool. `schema` is a JSON Schema (draft-07) for the arguments, compiled once by the
 * registry and checked before `run`, so `run` may trust the argument types.
 */
export interface ToolExecutor<A> {
  readonly name: string;
  readonly description: string;
  readonly schema: Readonly<Record<string, unknown>>;
  /** It runs commands, in `context.sandbox`. */
  readonly runsCommands?: boolean;
  /** It may keep a core busy (a user regex in a worker): it takes a command slot too. */
  readonly cpuBound?: boolean;
  run(args: A, context: ToolContext): Promise<object>;
}

/** Any executor, whatever its argument type (parameters are contravariant). */
export type AnyToolExecutor = ToolExecutor<never>;

/** The same executor under another name (e.g. a workflow's `search_files` for grep). */
export function aliasOf<A>(executor: ToolExecutor<A>, name: string): ToolExecutor<A> {
  return {
    name,
    description: `${executor.description} (alias of ${executor.name})`,
    schema: executor.schema,
    runsCommands: executor.runsCommands,
    cpuBound: executor.cpuBound,
    run: (args, context) => executor.run(args, context),
  };
}
