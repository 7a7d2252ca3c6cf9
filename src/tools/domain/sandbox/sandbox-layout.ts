import { constants } from 'node:fs';
import { access, lstat, mkdir, readlink, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { type SandboxLayout, type SandboxMount, SANDBOX_HOSTNAME, SANDBOX_UID } from './bubblewrap-argv.js';
import { type SandboxSettings } from './sandbox-settings.js';

/** System directories commands see read-only; on merged-/usr systems most are symlinks. */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/**
 * The parts of /etc programs need (the dynamic linker, certificates, name service, time zone,
 * Debian's alternatives). Never the whole of /etc: it holds the orchestrator's config and
 * the env file with the signing secret (`/etc/orchestrator/env`), and host secrets.
 */
const ETC_ENTRIES = [
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'nsswitch.conf',
  'host.conf',
  'resolv.conf',
  'localtime',
  'timezone',
  'mime.types',
  'os-release',
  'protocols',
  'services',
  'debian_version',
];

/** Files of the sandbox's /etc that are written for it rather than taken from the host. */
function generatedEtc(home: string): Record<string, string> {
  return {
    passwd: [
      'root:x:0:0:root:/root:/usr/sbin/nologin',
      `agent:x:${SANDBOX_UID}:${SANDBOX_UID}:sandboxed command:${home}:/bin/sh`,
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      '',
    ].join('\n'),
    group: ['root:x:0:', `agent:x:${SANDBOX_UID}:`, 'nogroup:x:65534:', ''].join('\n'),
    hosts: `127.0.0.1\tlocalhost ${SANDBOX_HOSTNAME}\n::1\tlocalhost\n`,
    hostname: `${SANDBOX_HOSTNAME}\n`,
  };
}

/**
 * Resolves what commands will see, once at start-up: which system directories exist (and
 * which are symlinks), which /etc entries the host has, and the generated /etc files, written
 * to `etcDir` (a directory of the server's own, never visible as a whole).
 */
export async function resolveSandboxLayout(
  workspaceRoot: string,
  settings: SandboxSettings,
  etcDir: string,
  helpers: { prlimit: string; nice: string },
): Promise<SandboxLayout> {
  const mounts: SandboxMount[] = [];
  for (const dir of SYSTEM_DIRS) {
    const info = await lstat(dir).catch(() => null);
    if (info?.isSymbolicLink()) mounts.push({ kind: 'symlink', target: await readlink(dir), dest: dir });
    else if (info?.isDirectory()) mounts.push({ kind: 'ro-bind', source: dir, dest: dir });
  }
  for (const name of ETC_ENTRIES) {
    const path = `/etc/${name}`;
    if (await stat(path).catch(() => null)) mounts.push({ kind: 'ro-bind', source: path, dest: path });
  }
  // Files left by a server that was killed are read-only: start afresh.
  await rm(etcDir, { recursive: true, force: true });
  await mkdir(etcDir, { recursive: true, mode: 0o700 });
  for (const [name, content] of Object.entries(generatedEtc(workspaceRoot))) {
    const file = join(etcDir, name);
    await writeFile(file, content, { mode: 0o444 });
    mounts.push({ kind: 'ro-bind', source: file, dest: `/etc/${name}` });
  }
  for (const path of settings.readOnlyPaths) mounts.push({ kind: 'ro-bind', source: path, dest: path });
  return { mounts, workspaceRoot, limits: settings.limits, ...helpers };
}

/** Whether a host path without symlinks is also there, unchanged, inside the sandbox. */
export function visibleInSandbox(layout: SandboxLayout, real: string): boolean {
  const under = (root: string) => real === root || real.startsWith(`${root}/`);
  if (under(layout.workspaceRoot)) return true;
  return layout.mounts.some((m) => m.kind === 'ro-bind' && m.source === m.dest && under(m.source));
}

/**
 * The absolute path of `program` as the sandbox would find it: a name is looked up on `path`,
 * keeping only executables whose real location the sandbox shows; a path is taken relative to
 * `cwd`. Null when nothing runnable is found (the caller answers 127, like a shell).
 */
export async function resolveProgram(
  layout: SandboxLayout,
  program: string,
  path: string,
  cwd: string,
): Promise<string | null> {
  const candidates = program.includes('/')
    ? [posix.resolve(cwd, program)]
    : path
        .split(':')
        .filter((dir) => dir.startsWith('/'))
        .map((dir) => posix.join(dir, program));
  for (const candidate of candidates) {
    const real = await realpath(candidate).catch(() => null);
    if (real === null || !visibleInSandbox(layout, real) || !(await isExecutableFile(real))) continue;
    // Keep the name as given when the sandbox has it too (argv[0] matters to some programs).
    const dir = await realpath(posix.dirname(candidate)).catch(() => null);
    return dir !== null && visibleInSandbox(layout, dir) ? candidate : real;
  }
  return null;
}

async function isExecutableFile(real: string): Promise<boolean> {
  if (!(await stat(real).catch(() => null))?.isFile()) return false;
  return access(real, constants.X_OK).then(
    () => true,
    () => false,
  );
}
