import { type CommandResult } from '../process-runner.js';

/** One command to run confined: what it runs and what this call's workflow rules allow it. */
export interface SandboxedCommand {
  /** argv[0] is a program name (looked up on PATH) or a path. */
  readonly argv: readonly string[];
  /** Real path of the working directory, inside the workspace. */
  readonly cwd: string;
  /** The command's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Per stream. */
  readonly maxOutputBytes: number;
  /** The workflow lets this tool reach the network in this phase. */
  readonly network: boolean;
  /** The workflow lets this tool write under the workspace's `.git`. */
  readonly gitWritable: boolean;
}

/** What `GET /` and the start-up log say about command execution. */
export interface SandboxStatus {
  /** `bubblewrap`, or `none` when the operator opted out. */
  readonly mode: 'bubblewrap' | 'none';
  /** False: commands are refused (`sandbox_unavailable`) and `reason` says why. */
  readonly available: boolean;
  readonly reason?: string;
  /** How process and memory limits bind: per command tree (cgroup) or per process (rlimit). */
  readonly limits_scope?: 'cgroup' | 'rlimit';
}

/**
 * Runs commands for the tools (bash, git, test runners). The only implementation that runs
 * anything confined is bubblewrap; the others refuse everything, or run unconfined because
 * the operator said so (`tools.sandbox: none`).
 */
export interface CommandSandbox {
  readonly status: SandboxStatus;
  run(command: SandboxedCommand): Promise<CommandResult>;
  /** Releases what the sandbox set up (generated files, cgroups). */
  close(): Promise<void>;
}

/** Injection token of the server's one `CommandSandbox`. */
export const COMMAND_SANDBOX = Symbol('CommandSandbox');
