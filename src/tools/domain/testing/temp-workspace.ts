import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { systemClock } from '../../../common/domain/clock.js';
import { DomainError } from '../../../common/domain/domain-error.js';
import { type CommandSandbox } from '../sandbox/command-sandbox.js';
import { openCommandSandbox } from '../sandbox/open-sandbox.js';
import { DEFAULT_SANDBOX_LIMITS, type SandboxSettings } from '../sandbox/sandbox-settings.js';
import { UnavailableSandbox } from '../sandbox/unavailable.sandbox.js';
import { ToolRegistry, type ToolRegistryOptions } from '../tool.registry.js';
import { Workspace } from '../workspace.js';

/**
 * Test support (used by specs only): a real temporary directory holding a workspace and,
 * beside it, an "outside" directory with a secret the tools must never reach.
 */
export interface TempWorkspace {
  readonly base: string;
  /** Real path of the workspace root. */
  readonly root: string;
  readonly outside: string;
  readonly registry: ToolRegistry;
  readonly sandbox: CommandSandbox;
  /** Writes a file under the root, creating directories. */
  file(rel: string, content: string | Buffer): string;
  path(rel: string): string;
  remove(): Promise<void>;
}

export interface TempWorkspaceOptions extends Partial<
  Omit<ToolRegistryOptions, 'sandbox' | 'workspaceRoot'>
> {
  /**
   * Where commands run: a real bubblewrap sandbox (the test fails if this host cannot make
   * one), unconfined, or nowhere (the default: file tools need none, commands are refused).
   */
  readonly commands?: 'bubblewrap' | 'none';
  readonly sandbox?: Partial<SandboxSettings>;
}

export const OUTSIDE_SECRET = 'TOP-SECRET-OUTSIDE-CONTENT';

export async function tempWorkspace(options: TempWorkspaceOptions = {}): Promise<TempWorkspace> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'orch-tools-')));
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), OUTSIDE_SECRET);
  const workspace = await Workspace.open(join(base, 'ws'));
  const { commands, sandbox: settings, ...rest } = options;
  const sandbox = commands
    ? await openCommandSandbox({
        mode: commands,
        workspaceRoot: workspace.root,
        privateDir: join(base, 'private'),
        clock: options.clock ?? systemClock,
        settings: {
          network: false,
          readOnlyPaths: [],
          ...settings,
          limits: { ...DEFAULT_SANDBOX_LIMITS, ...settings?.limits },
        },
      })
    : new UnavailableSandbox('this test runs no commands');
  if (commands && !sandbox.status.available) {
    throw new Error(`this host cannot run the sandbox the test needs: ${sandbox.status.reason}`);
  }
  const registry = ToolRegistry.over(workspace, {
    commandTimeoutSeconds: 10,
    maxOutputKb: 64,
    sandbox,
    ...rest,
  });
  const root = registry.workspace.root;
  return {
    base,
    root,
    outside,
    registry,
    sandbox,
    path: (rel) => join(root, rel),
    file(rel, content) {
      const path = join(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    async remove() {
      await sandbox.close();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** The domain error `work` fails with; fails the test if it succeeds or throws anything else. */
export async function failure(work: Promise<unknown>): Promise<DomainError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the tool call to fail');
}

/** Replaces `dir` by a symlink to `target` and back, over and over, until told to stop. */
const SWAPPER = `
  const fs = require('fs');
  const [dir, target] = process.argv.slice(1);
  const saved = dir + '.saved', link = dir + '.link';
  const step = (f) => { try { f(); } catch {} };
  let run = true;
  process.on('SIGTERM', () => { run = false; });
  process.stdout.write('ready');
  const tick = () => {
    for (let i = 0; i < 100 && run; i++) {
      step(() => fs.renameSync(dir, saved));
      step(() => fs.symlinkSync(target, link));
      step(() => fs.renameSync(link, dir));
      // Restore; the tool may have recreated dir (mkdir) while it was missing.
      step(() => fs.rmSync(dir, { recursive: true, force: true }));
      step(() => fs.renameSync(saved, dir));
      step(() => fs.rmSync(link, { force: true }));
    }
    if (run) setImmediate(tick); else process.exit(0);
  };
  tick();`;

/**
 * A separate process racing the tools: it keeps swapping `dir` for a symlink to `target`, so
 * checks and uses really interleave (no mocks, no hooks). `stop` leaves `dir` a directory.
 */
export async function startSwapping(dir: string, target: string): Promise<{ stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', SWAPPER, dir, target], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Racing only begins once the swapper runs: node takes a while to start.
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', () => reject(new Error('the swapper exited early')));
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
