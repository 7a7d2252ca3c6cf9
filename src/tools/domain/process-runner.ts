import { spawn } from 'node:child_process';
import { type Readable } from 'node:stream';
import { type Clock } from '../../common/domain/clock.js';
import { CappedOutput } from './output-capture.js';

export interface ProcessRequest {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Per stream. */
  readonly maxOutputBytes: number;
  readonly clock: Clock;
  /** Descriptors the child gets as fd 3, 4, …, in order. */
  readonly extraFds?: readonly number[];
}

export interface CommandResult {
  /** Null when a signal ended the process. */
  readonly exit_code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Some output was dropped (see `dropped_bytes`); the text holds head and tail. */
  readonly truncated: boolean;
  readonly dropped_bytes: { readonly stdout: number; readonly stderr: number };
  readonly timed_out: boolean;
  readonly duration_ms: number;
}

/** After the main process exits, how long to wait for its pipes before giving up on them. */
const PIPE_GRACE_MS = 500;

/** Like a shell: 127 when the program is not found, 126 when it cannot be executed. */
const SPAWN_FAILURES: Readonly<Record<string, [number, string]>> = {
  ENOENT: [127, 'command not found'],
  EACCES: [126, 'permission denied'],
  ENOTDIR: [126, 'not a directory'],
};

/**
 * Runs a program in its own process group (detached: setsid), so the group can be killed
 * whole: on timeout, and also when the main process exits, so nothing it started in the
 * background outlives the call. stdin is /dev/null; output is captured with a cap.
 */
export function runProcess(request: ProcessRequest): Promise<CommandResult> {
  const started = request.clock.now();
  const stdout = new CappedOutput(request.maxOutputBytes);
  const stderr = new CappedOutput(request.maxOutputBytes);
  const child = spawn(request.file, [...request.args], {
    cwd: request.cwd,
    env: { ...request.env },
    detached: true,
    shell: false,
    stdio: ['ignore', 'pipe', 'pipe', ...(request.extraFds ?? [])],
    windowsHide: true,
  });
  // stdout and stderr are pipes (index 1 and 2 above), whatever follows them.
  const out = child.stdout as Readable;
  const err = child.stderr as Readable;
  out.on('data', (chunk: Buffer) => stdout.push(chunk));
  err.on('data', (chunk: Buffer) => stderr.push(chunk));

  let timedOut = false;
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  const killGroup = () => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already gone.
    }
  };

  return new Promise<CommandResult>((resolve) => {
    let grace: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, request.timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      const out = stdout.snapshot();
      const err = stderr.snapshot();
      resolve({
        exit_code: exitCode,
        signal: exitSignal,
        stdout: out.text,
        stderr: err.text,
        truncated: out.dropped + err.dropped > 0,
        dropped_bytes: { stdout: out.dropped, stderr: err.dropped },
        timed_out: timedOut,
        duration_ms: request.clock.now() - started,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      const failure = SPAWN_FAILURES[error.code ?? ''];
      if (child.pid === undefined) {
        // Never started: answer as a shell would, naming the program only.
        const [code, reason] = failure ?? [126, `cannot run (${error.code ?? 'error'})`];
        exitCode = code;
        stderr.push(Buffer.from(`${request.file}: ${reason}\n`));
        finish();
      }
    });
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal;
      killGroup();
      // A grandchild that left the group (setsid) may still hold the pipes open.
      grace = setTimeout(() => {
        out.destroy();
        err.destroy();
        finish();
      }, PIPE_GRACE_MS);
    });
    child.on('close', finish);
  });
}

/** What a shell answers for a program it cannot find (exit 127), without starting anything. */
export function commandNotFound(program: string): CommandResult {
  return {
    exit_code: 127,
    signal: null,
    stdout: '',
    stderr: `${program}: command not found\n`,
    truncated: false,
    dropped_bytes: { stdout: 0, stderr: 0 },
    timed_out: false,
    duration_ms: 0,
  };
}
