import { type SandboxLimits } from './sandbox-settings.js';

/** Something of the host that commands see: a directory or file bound read-only, or a symlink. */
export type SandboxMount =
  | { readonly kind: 'ro-bind'; readonly source: string; readonly dest: string }
  | { readonly kind: 'symlink'; readonly target: string; readonly dest: string };

/** Everything about the sandbox that is fixed at start-up. */
export interface SandboxLayout {
  /** System directories, the curated and generated /etc, extra read-only paths; in mount order. */
  readonly mounts: readonly SandboxMount[];
  /** Real path of the workspace: the only writable host directory, at the same path inside. */
  readonly workspaceRoot: string;
  /** Absolute paths (inside the sandbox) of the helpers that set limits and priority. */
  readonly prlimit: string;
  readonly nice: string;
  readonly limits: SandboxLimits;
}

/** One run: the resolved program, where it runs, and what this call may do. */
export interface SandboxRun {
  /** argv[0] is an absolute path, resolved against what the sandbox shows. */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly network: boolean;
  /** Descriptor number (in bwrap) of the workspace's `.git`, bound read-only over it. */
  readonly gitFd?: number;
}

/** The uid and gid commands run as inside their user namespace (not root). */
export const SANDBOX_UID = 1000;
export const SANDBOX_HOSTNAME = 'sandbox';

/** Commands run at the lowest CPU priority: a busy or hostile command cannot starve the server. */
const NICENESS = 19;

const MB = 1024 * 1024;

/**
 * bubblewrap's arguments for one command. Every namespace is new (user, pid, mount, ipc, uts,
 * cgroup, and network unless allowed), capabilities are dropped, nested user namespaces are
 * disabled, the root is a read-only tmpfs holding only `layout.mounts`, a fresh /proc (only the
 * command's own processes), a minimal /dev, a private size-capped /tmp, and the workspace.
 * Inside, prlimit sets the resource limits and nice the priority before the command runs.
 * Pure: the caller resolves paths and opens descriptors.
 */
export function bubblewrapArgs(layout: SandboxLayout, run: SandboxRun): string[] {
  const args = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(run.network ? [] : ['--unshare-net']),
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--hostname',
    SANDBOX_HOSTNAME,
  ];
  for (const mount of layout.mounts) {
    if (mount.kind === 'ro-bind') args.push('--ro-bind', mount.source, mount.dest);
    else args.push('--symlink', mount.target, mount.dest);
  }
  args.push(
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--size',
    String(layout.limits.tmpMb * MB),
    '--tmpfs',
    '/tmp',
    '--perms',
    '0755',
    '--dir',
    '/var',
    '--symlink',
    '../tmp',
    '/var/tmp',
    '--bind',
    layout.workspaceRoot,
    layout.workspaceRoot,
  );
  if (run.gitFd !== undefined) args.push('--ro-bind-fd', String(run.gitFd), `${layout.workspaceRoot}/.git`);
  // The root tmpfs itself is read-only once everything is mounted: only /tmp and the workspace take writes.
  args.push('--remount-ro', '/', '--chdir', run.cwd, '--clearenv');
  for (const [name, value] of Object.entries(run.env)) args.push('--setenv', name, value);
  const { limits } = layout;
  args.push(
    '--',
    layout.prlimit,
    `--nproc=${limits.maxProcesses}`,
    `--data=${limits.memoryMb * MB}`,
    `--cpu=${limits.cpuSeconds}`,
    `--fsize=${limits.maxFileMb * MB}`,
    `--nofile=${limits.maxOpenFiles}`,
    '--core=0',
    '--',
    layout.nice,
    '-n',
    String(NICENESS),
    '--',
    ...run.argv,
  );
  return args;
}
