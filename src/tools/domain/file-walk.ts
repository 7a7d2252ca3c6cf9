import { posix } from 'node:path';
import { type Workspace } from './workspace.js';

/** Directories a search skips below where it starts: dependencies and VCS internals. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules', '.git']);

export interface WalkedEntry {
  /** Workspace-relative posix path. */
  readonly rel: string;
  /** Real path (the walk never follows symlinks, so this is under the start's real path). */
  readonly real: string;
  readonly symlink: boolean;
}

export interface WalkState {
  /** Directory entries seen so far. */
  visited: number;
  /** Set when `maxEntries` stopped the walk. */
  truncated: boolean;
  /** Subdirectories that could not be listed (permissions, or changed during the walk). */
  unreadable: number;
}

/**
 * Files and symlinks under a directory, depth first in name order (so results are stable).
 * Symlinks are reported, never followed; every directory is listed through the workspace,
 * which re-checks it is still inside. Stops after `maxEntries` entries.
 */
export async function* walkFiles(
  workspace: Workspace,
  start: { rel: string; real: string },
  maxEntries: number,
  state: WalkState,
): AsyncGenerator<WalkedEntry> {
  const stack: Array<{ rel: string; real: string }> = [start];
  while (stack.length > 0) {
    const dir = stack.pop() as { rel: string; real: string };
    let entries;
    try {
      entries = await workspace.list(dir.real, `'${dir.rel}'`);
    } catch (error) {
      if (dir === start) throw error;
      state.unreadable++;
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: Array<{ rel: string; real: string }> = [];
    for (const entry of entries) {
      if (++state.visited > maxEntries) {
        state.truncated = true;
        return;
      }
      const rel = dir.rel === '.' ? entry.name : `${dir.rel}/${entry.name}`;
      const real = posix.join(dir.real, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) subdirs.push({ rel, real });
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        yield { rel, real, symlink: entry.isSymbolicLink() };
      }
    }
    // Reversed so the first subdirectory in name order is walked first.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
  }
}
