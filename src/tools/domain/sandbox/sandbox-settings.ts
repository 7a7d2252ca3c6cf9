/**
 * What one sandboxed command may use (`tools.sandbox_*`). Limits apply per command: the
 * process count and memory to its whole process tree where the host lets us create a cgroup,
 * otherwise per process (rlimits).
 */
export interface SandboxLimits {
  /** Processes and threads of the command together (RLIMIT_NPROC, and pids.max in a cgroup). */
  readonly maxProcesses: number;
  /** Data memory per process (RLIMIT_DATA), and the whole tree's memory in a cgroup. */
  readonly memoryMb: number;
  /** CPU seconds per process (RLIMIT_CPU); wall time is `tools.command_timeout_seconds`. */
  readonly cpuSeconds: number;
  /** Largest file a process may write (RLIMIT_FSIZE). */
  readonly maxFileMb: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  readonly maxOpenFiles: number;
  /** Size of the private /tmp (a tmpfs, so it is memory). */
  readonly tmpMb: number;
}

export interface SandboxSettings {
  readonly limits: SandboxLimits;
  /** Network for every command; otherwise only where a workflow's tool constraint sets `network: true`. */
  readonly network: boolean;
  /** Host paths besides the system directories that commands see, read-only (toolchains in /opt…). */
  readonly readOnlyPaths: readonly string[];
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  maxProcesses: 256,
  memoryMb: 4096,
  cpuSeconds: 600,
  maxFileMb: 1024,
  maxOpenFiles: 4096,
  tmpMb: 512,
};
