import { constants } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { type Clock } from '../../../common/domain/clock.js';
import { BubblewrapSandbox } from './bubblewrap.sandbox.js';
import { CommandCgroups } from './command-cgroups.js';
import { type CommandSandbox } from './command-sandbox.js';
import { resolveSandboxLayout } from './sandbox-layout.js';
import { type SandboxSettings } from './sandbox-settings.js';
import { UnavailableSandbox } from './unavailable.sandbox.js';
import { UnconfinedSandbox } from './unconfined.sandbox.js';

export interface SandboxOptions {
  /** `tools.sandbox`. */
  readonly mode: 'bubblewrap' | 'none';
  /** Real path of the workspace. */
  readonly workspaceRoot: string;
  readonly settings: SandboxSettings;
  /** A directory of the server's own (never visible to commands) for the generated /etc files. */
  readonly privateDir: string;
  readonly clock: Clock;
  /** Where to look for `bwrap` (the server's PATH). */
  readonly path?: string;
  /** The server's uid: as root, the process limit needs a cgroup. */
  readonly uid?: number;
}

/** Sandboxes this process opened: their cgroups need names of their own. */
let opened = 0;

/** Where prlimit (util-linux) and nice (coreutils) live, as the sandbox shows them. */
const HELPER_DIRS = '/usr/bin:/bin';

/**
 * The sandbox commands will run in, checked by running one: if bubblewrap is missing or cannot
 * create its namespaces here (a container without user namespaces, a masked /proc), the answer
 * refuses every command and says why. Fail closed: nothing falls back to running unconfined
 * unless the operator chose `tools.sandbox: none`.
 */
export async function openCommandSandbox(options: SandboxOptions): Promise<CommandSandbox> {
  if (options.mode === 'none') return new UnconfinedSandbox(options.clock);
  const bwrap = await findExecutable('bwrap', options.path ?? process.env.PATH ?? '/usr/bin:/bin');
  if (!bwrap) {
    return new UnavailableSandbox(
      'bubblewrap (bwrap) is not installed: install the bubblewrap package (apt-get install bubblewrap)',
    );
  }
  const prlimit = await findExecutable('prlimit', HELPER_DIRS);
  const nice = await findExecutable('nice', HELPER_DIRS);
  if (!prlimit || !nice) {
    return new UnavailableSandbox('prlimit (util-linux) and nice (coreutils) must be in /usr/bin or /bin');
  }
  const etcDir = join(options.privateDir, 'sandbox-etc');
  const removeEtc = () => rm(etcDir, { recursive: true, force: true });
  let layout;
  try {
    layout = await resolveSandboxLayout(options.workspaceRoot, options.settings, etcDir, { prlimit, nice });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new UnavailableSandbox(`cannot write the sandbox's /etc files in ${etcDir}: ${code}`);
  }
  const cgroups = await CommandCgroups.open(
    options.settings.limits,
    `orchestrator-sandbox-${process.pid}-${++opened}`,
  );
  if (!cgroups && (options.uid ?? process.getuid?.()) === 0) {
    await removeEtc();
    return new UnavailableSandbox(
      'the server runs as root, and the kernel does not apply the process limit (RLIMIT_NPROC) to root, ' +
        'so a fork bomb could exhaust the host; no writable pids cgroup was found to limit it instead. ' +
        'Run the server as an unprivileged user (recommended), or give it a writable cgroup with the pids controller',
    );
  }
  const sandbox = new BubblewrapSandbox(bwrap, layout, cgroups, options.clock, removeEtc);
  const why = await probe(sandbox, options.workspaceRoot);
  if (why === null) return sandbox;
  await sandbox.close();
  return new UnavailableSandbox(`bubblewrap cannot set up a sandbox on this host: ${why}`);
}

/** Runs `true` in the sandbox: null when it works, else the first line of what went wrong. */
async function probe(sandbox: BubblewrapSandbox, cwd: string): Promise<string | null> {
  try {
    const result = await sandbox.run({
      argv: ['true'],
      cwd,
      env: { PATH: HELPER_DIRS },
      timeoutMs: 15_000,
      maxOutputBytes: 4096,
      network: false,
      gitWritable: true,
    });
    if (result.exit_code === 0) return null;
    return result.stderr.trim().split('\n')[0] || `exit ${result.exit_code ?? result.signal}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** The first executable `name` in the `:`-separated directories, or null. */
async function findExecutable(name: string, dirs: string): Promise<string | null> {
  for (const dir of dirs.split(':').filter((d) => d.startsWith('/'))) {
    const candidate = posix.join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  return null;
}
