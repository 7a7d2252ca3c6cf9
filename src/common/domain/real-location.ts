import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * The real path of `path`, or of its nearest existing ancestor with the rest appended: where a
 * file that may not exist yet would land, for comparing locations through symlinks.
 */
export function realLocation(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realLocation(parent), basename(path));
  }
}
