import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const CLI = resolve(
  import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  '../../dist/cli/main.js',
);
export const TEST_SECRET = 'e2e-secret-0123456789abcdef0123456789abcdef';

export interface ServerOptions {
  env?: Record<string, string>;
  /** Written to orchestrator.yaml in the server's working directory. */
  configYaml?: string;
  args?: string[];
  /** Reuse a working directory (e.g. to restart on the same state). */
  dir?: string;
  /** Run the server as this user and group (the test runner must be root); its directory becomes theirs. */
  user?: { uid: number; gid: number };
}

/** The built server running as a child process on an ephemeral loopback port. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  dir: string;
  /** Parsed JSON log lines (stdout) so far. */
  logs: Record<string, unknown>[];
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/** Every child this test file started and that has not exited; killed after the file (see e2e-setup). */
const running = new Set<ChildProcess>();

function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
}

/** Kills whatever a test left running, so no server outlives its test file. */
export async function killAllChildren(): Promise<void> {
  const exits = [...running].map((child) => new Promise((r) => child.once('exit', r)));
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(exits);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'orch-e2e-'));
}

/** Environment for a child: this process's PATH and nothing of ours, unless given. */
export function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ORCHESTRATOR_SERVER_HOST: '127.0.0.1',
    ORCHESTRATOR_SERVER_PORT: '0',
    ORCHESTRATOR_JWT_SECRET: TEST_SECRET,
    ...extra,
  };
}

/** Runs the CLI to completion; for commands and refused start-ups. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = track(
      spawn(process.execPath, [CLI, ...args], {
        cwd: options.cwd ?? tempDir(),
        env: options.env ?? baseEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `cli ${args.join(' ')} did not exit within ${options.timeoutMs ?? 15000} ms: ${stdout}${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 15000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Starts `orchestrator serve` and resolves once it logs `listening`. */
export function startServer(options: ServerOptions = {}): Promise<ServerProcess> {
  const dir = options.dir ?? tempDir();
  if (options.configYaml !== undefined) writeFileSync(join(dir, 'orchestrator.yaml'), options.configYaml);
  if (options.user) chownSync(dir, options.user.uid, options.user.gid);
  const child = track(
    spawn(process.execPath, [CLI, 'serve', ...(options.args ?? [])], {
      cwd: dir,
      env: baseEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options.user,
    }),
  );
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `server did not start within 15 s; stderr: ${stderr}; logs: ${JSON.stringify(logs.slice(-5))}`,
        ),
      );
    }, 15000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.trim()) continue;
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { raw: line };
        }
        logs.push(entry);
        if (entry.msg === 'listening' && typeof entry.url === 'string') {
          clearTimeout(timer);
          resolveStart({
            child,
            url: entry.url,
            dir,
            logs,
            stderr: () => stderr,
            exited,
            async stop(signal: NodeJS.Signals = 'SIGTERM') {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
}

/** Stops the server (if running) and removes its directory. */
export async function disposeServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  await server.stop('SIGKILL');
  rmSync(server.dir, { recursive: true, force: true });
}
