import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidExists } from '../../../common/domain/pid-exists.js';
import { type SandboxLimits } from './sandbox-settings.js';

/** One controller directory tree this server may create cgroups in. */
interface Hierarchy {
  readonly version: 1 | 2;
  /** The server's own directory for command cgroups (created at open, removed at close). */
  readonly base: string;
  readonly pids: boolean;
  readonly memory: boolean;
}

/** The cgroup(s) of one command: the launcher joins them before bubblewrap starts. */
export interface CommandCgroup {
  /** `cgroup.procs` files to write the launcher's pid to. */
  readonly procs: readonly string[];
  /** Kills whatever is left in them and removes them. */
  release(): Promise<void>;
}

const MB = 1024 * 1024;

/**
 * Per-command cgroups with `pids.max` and a memory limit over the whole process tree. The kernel
 * does not apply RLIMIT_NPROC to processes of the host's uid 0, so a server running as root
 * needs these to stop a fork bomb; for any server they bound the tree's memory, not only each
 * process's. Usable only where this process may create cgroups (root on the host, or a
 * delegated hierarchy): `open` answers null otherwise.
 */
export class CommandCgroups {
  private next = 0;
  /** Removals still retrying in the background (a cgroup stays busy a moment after its last task exits). */
  private readonly removing = new Set<Promise<void>>();

  private constructor(
    private readonly hierarchies: readonly Hierarchy[],
    private readonly limits: SandboxLimits,
  ) {}

  /** `name` must be `orchestrator-sandbox-<pid>-<n>`: the pid tells a later start whether it is stale. */
  static async open(limits: SandboxLimits, name: string): Promise<CommandCgroups | null> {
    const [mountinfo, membership] = await Promise.all([
      readFile('/proc/self/mountinfo', 'utf8').catch(() => ''),
      readFile('/proc/self/cgroup', 'utf8').catch(() => ''),
    ]);
    const hierarchies =
      (await unifiedHierarchy(mountinfo, name)) ?? (await legacyHierarchies(mountinfo, membership, name));
    await Promise.all(hierarchies.map((h) => sweepStale(dirname(h.base), h.version)));
    if (!hierarchies.some((h) => h.pids)) {
      await Promise.all(hierarchies.map((h) => rmdir(h.base).catch(() => undefined)));
      return null;
    }
    return new CommandCgroups(hierarchies, limits);
  }

  async create(): Promise<CommandCgroup> {
    const id = `cmd-${++this.next}`;
    const dirs: Array<{ dir: string; version: 1 | 2 }> = [];
    // Whatever is left is killed before the answer; removing the empty directories need not wait.
    const release = async () => {
      await Promise.all(dirs.map(({ dir, version }) => killAll(dir, version)));
      const removal = Promise.all(dirs.map(({ dir }) => removeCgroup(dir))).then(() => undefined);
      this.removing.add(removal);
      void removal.finally(() => this.removing.delete(removal));
    };
    try {
      for (const h of this.hierarchies) {
        const dir = `${h.base}/${id}`;
        await mkdir(dir);
        dirs.push({ dir, version: h.version });
        if (h.pids) await writeFile(`${dir}/pids.max`, String(this.limits.maxProcesses));
        if (h.memory) {
          const bytes = String(this.limits.memoryMb * MB);
          await writeFile(`${dir}/${h.version === 2 ? 'memory.max' : 'memory.limit_in_bytes'}`, bytes);
          // Swap would let the tree exceed its memory limit; not every kernel has the file.
          if (h.version === 2) await writeFile(`${dir}/memory.swap.max`, '0').catch(() => undefined);
        }
      }
    } catch (error) {
      await release();
      throw error;
    }
    return { procs: dirs.map(({ dir }) => `${dir}/cgroup.procs`), release };
  }

  async close(): Promise<void> {
    await Promise.all(this.removing);
    await Promise.all(this.hierarchies.map((h) => rmdir(h.base).catch(() => undefined)));
  }
}

/** cgroup v2: one tree; the server's directory sits at the top of the mount, controllers enabled. */
async function unifiedHierarchy(mountinfo: string, name: string): Promise<Hierarchy[] | null> {
  const mount = mounts(mountinfo).find((m) => m.fstype === 'cgroup2');
  if (!mount) return null;
  const available = (await readFile(`${mount.point}/cgroup.controllers`, 'utf8').catch(() => '')).split(
    /\s+/,
  );
  if (!available.includes('pids')) return null;
  const wanted = ['pids', ...(available.includes('memory') ? ['memory'] : [])];
  const base = `${mount.point}/${name}`;
  try {
    const enabled = (await readFile(`${mount.point}/cgroup.subtree_control`, 'utf8')).split(/\s+/);
    const missing = wanted.filter((c) => !enabled.includes(c));
    if (missing.length > 0)
      await writeFile(`${mount.point}/cgroup.subtree_control`, missing.map((c) => `+${c}`).join(' '));
    await mkdir(base, { recursive: true });
    await writeFile(`${base}/cgroup.subtree_control`, wanted.map((c) => `+${c}`).join(' '));
  } catch {
    await rmdir(base).catch(() => undefined);
    return null;
  }
  return [{ version: 2, base, pids: true, memory: wanted.includes('memory') }];
}

/** cgroup v1: the pids and memory controllers are separate trees, each below our own cgroup. */
async function legacyHierarchies(mountinfo: string, membership: string, name: string): Promise<Hierarchy[]> {
  const own = new Map<string, string>();
  for (const line of membership.split('\n')) {
    const [, controllers, path] = line.split(':');
    for (const c of controllers?.split(',') ?? []) if (path !== undefined) own.set(c, path);
  }
  const out: Hierarchy[] = [];
  for (const controller of ['pids', 'memory'] as const) {
    const mount = mounts(mountinfo).find((m) => m.fstype === 'cgroup' && m.options.includes(controller));
    const path = own.get(controller);
    if (!mount || path === undefined) continue;
    const base = `${mount.point}${path === '/' ? '' : path}/${name}`;
    try {
      await mkdir(base, { recursive: true });
    } catch {
      continue;
    }
    out.push({ version: 1, base, pids: controller === 'pids', memory: controller === 'memory' });
  }
  return out;
}

interface Mount {
  readonly point: string;
  readonly fstype: string;
  readonly options: readonly string[];
}

/** Mount points from /proc/self/mountinfo: `id parent dev root point opts [tags] - fstype source superopts`. */
function mounts(mountinfo: string): Mount[] {
  return mountinfo
    .split('\n')
    .filter((line) => line.includes(' - '))
    .map((line) => {
      const [left, right] = line.split(' - ');
      const [fstype = '', , superOptions = ''] = right.split(' ');
      return { point: unescape(left.split(' ')[4] ?? ''), fstype, options: superOptions.split(',') };
    });
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Removes the cgroups of servers that died without closing theirs (SIGKILL, a crash): their
 * names carry the pid, and a pid that no longer runs cannot be using them. Left alone they
 * would pile up under the hierarchy, one per start.
 */
async function sweepStale(parent: string, version: 1 | 2): Promise<void> {
  const names = await readdir(parent).catch(() => []);
  for (const name of names) {
    const pid = Number(/^orchestrator-sandbox-(\d+)-\d+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidExists(pid)) continue;
    const dir = `${parent}/${name}`;
    const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const child of children.filter((c) => c.isDirectory())) {
      await killAll(`${dir}/${child.name}`, version);
      await removeCgroup(`${dir}/${child.name}`);
    }
    await rmdir(dir).catch(() => undefined);
  }
}

/** Kills every process still in a command's cgroup (the sandbox's namespace has usually taken them already). */
async function killAll(dir: string, version: 1 | 2): Promise<void> {
  if (version === 2) await writeFile(`${dir}/cgroup.kill`, '1').catch(() => undefined);
  const procs = await readFile(`${dir}/cgroup.procs`, 'utf8').catch(() => '');
  for (const pid of procs.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Removes an emptied cgroup, retrying while the kernel still counts its exiting tasks. */
async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      await sleep(Math.min(2 ** attempt, 100));
    }
  }
}
