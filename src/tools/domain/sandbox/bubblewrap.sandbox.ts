import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { type Clock } from '../../../common/domain/clock.js';
import { UnavailableError } from '../../../common/domain/domain-error.js';
import { commandNotFound, type CommandResult, runProcess } from '../process-runner.js';
import { bubblewrapArgs, type SandboxLayout } from './bubblewrap-argv.js';
import { type CommandCgroups } from './command-cgroups.js';
import { type CommandSandbox, type SandboxedCommand, type SandboxStatus } from './command-sandbox.js';
import { resolveProgram } from './sandbox-layout.js';

/** Joins the command's cgroups, then becomes bubblewrap: everything it starts is counted from the first fork. */
const JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

/** O_NONBLOCK: a FIFO planted as `.git` must not hang the open. */
const GIT_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Runs each command in its own bubblewrap sandbox (see `bubblewrapArgs` for what it sees).
 * The process tree cannot outlive the call: the sandbox's pid 1 dies with bubblewrap, and the
 * kernel then kills everything left in its PID namespace, `setsid` children included; the
 * command's cgroup, when there is one, is emptied and removed too.
 */
export class BubblewrapSandbox implements CommandSandbox {
  readonly status: SandboxStatus;

  constructor(
    private readonly bwrap: string,
    private readonly layout: SandboxLayout,
    private readonly cgroups: CommandCgroups | null,
    private readonly clock: Clock,
    private readonly cleanup: () => Promise<void>,
  ) {
    this.status = { mode: 'bubblewrap', available: true, limits_scope: cgroups ? 'cgroup' : 'rlimit' };
  }

  async run(command: SandboxedCommand): Promise<CommandResult> {
    const [name, ...rest] = command.argv;
    const program = await resolveProgram(this.layout, name, command.env.PATH ?? '', command.cwd);
    if (program === null) return commandNotFound(name);
    const git = command.gitWritable ? null : await openProtectedGit(this.layout.workspaceRoot);
    let cgroup;
    try {
      cgroup = this.cgroups ? await this.cgroups.create().catch(cgroupUnavailable) : null;
      const args = bubblewrapArgs(this.layout, {
        argv: [program, ...rest],
        cwd: command.cwd,
        env: command.env,
        network: command.network,
        ...(git ? { gitFd: 3 } : {}),
      });
      const launch = cgroup
        ? {
            file: '/bin/sh',
            args: ['-c', JOIN_CGROUPS, 'orchestrator-sandbox', ...cgroup.procs, '--', this.bwrap, ...args],
          }
        : { file: this.bwrap, args };
      return await runProcess({
        ...launch,
        cwd: this.layout.workspaceRoot,
        env: command.env,
        timeoutMs: command.timeoutMs,
        maxOutputBytes: command.maxOutputBytes,
        clock: this.clock,
        extraFds: git ? [git.fd] : [],
      });
    } finally {
      await git?.close();
      await cgroup?.release();
    }
  }

  close(): Promise<void> {
    return Promise.all([this.cgroups?.close(), this.cleanup()]).then(() => undefined);
  }
}

/** Without its cgroup a command would run without its process limit: refuse it. */
function cgroupUnavailable(error: unknown): never {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  throw new UnavailableError(
    'sandbox_unavailable',
    `the command's cgroup could not be created (${code}); retry later`,
  );
}

/**
 * The workspace's `.git` (a repository directory, or a worktree's `gitdir:` file), opened so
 * bubblewrap binds exactly this object read-only: a symlink swapped in cannot redirect the
 * bind. Null when there is none to protect (missing, or itself a symlink, which only a
 * command could have made where no repository was).
 */
async function openProtectedGit(root: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(`${root}/.git`, GIT_FLAGS);
  } catch {
    return null;
  }
  const info = await handle.stat().catch(() => null);
  if (info?.isDirectory() || info?.isFile()) return handle;
  await handle.close();
  return null;
}
