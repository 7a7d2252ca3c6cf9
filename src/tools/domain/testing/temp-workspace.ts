import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DomainError } from '../../../common/domain/domain-error.js';
import { ToolRegistry, type ToolRegistryOptions } from '../tool.registry.js';

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
  /** Writes a file under the root, creating directories. */
  file(rel: string, content: string | Buffer): string;
  path(rel: string): string;
  remove(): void;
}

export const OUTSIDE_SECRET = 'TOP-SECRET-OUTSIDE-CONTENT';

export async function tempWorkspace(options: Partial<ToolRegistryOptions> = {}): Promise<TempWorkspace> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'orch-tools-')));
  const outside = join(base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), OUTSIDE_SECRET);
  const registry = await ToolRegistry.create({
    workspaceRoot: join(base, 'ws'),
    commandTimeoutSeconds: 10,
    maxOutputKb: 64,
    ...options,
  });
  const root = registry.workspace.root;
  return {
    base,
    root,
    outside,
    registry,
    path: (rel) => join(root, rel),
    file(rel, content) {
      const path = join(root, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      return path;
    },
    remove: () => rmSync(base, { recursive: true, force: true }),
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
