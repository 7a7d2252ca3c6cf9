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
  /** Entries (files, symlinks, directories) visited so far. */
  visited: number;
  /** Set when `maxEntries` stopped the walk. */
  truncated: boolean;
  /** Subdirectories that could not be listed (permissions, or changed during the walk). */
  unreadable: number;
}

/**
 * Files and symlinks under a directory, depth first in name order (so results are stable and
 * sorted by path). Symlinks are reported, never followed; every directory is listed through
 * the workspace, which re-checks it is still inside. Stops after `maxEntries` entries.
 */
export async function* walkFiles(
  workspace: Workspace,
  start: { rel: string; real: string },
  maxEntries: number,
  state: WalkState,
): AsyncGenerator<WalkedEntry> {
  // Entries still to visit, the next one last: a directory is replaced by its children.
  const pending: Array<WalkedEntry & { dir: boolean }> = [{ ...start, symlink: false, dir: true }];
  while (pending.length > 0) {
    const item = pending.pop() as WalkedEntry & { dir: boolean };
    if (item.real !== start.real && ++state.visited > maxEntries) {
      state.truncated = true;
      return;
    }
    if (!item.dir) {
      yield { rel: item.rel, real: item.real, symlink: item.symlink };
      continue;
    }
    let entries;
    try {
      entries = await workspace.list(item.real, `'${item.rel}'`);
    } catch (error) {
      if (item.real === start.real) throw error;
      state.unreadable++;
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    for (const entry of entries) {
      const rel = item.rel === '.' ? entry.name : `${item.rel}/${entry.name}`;
      const real = posix.join(item.real, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) pending.push({ rel, real, symlink: false, dir: true });
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        pending.push({ rel, real, symlink: entry.isSymbolicLink(), dir: false });
      }
    }
  }
}
