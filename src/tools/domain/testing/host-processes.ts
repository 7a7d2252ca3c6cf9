import { readdirSync, readFileSync } from 'node:fs';

/**
 * Test support: host processes whose command line contains `marker`. A pid printed inside a
 * sandbox means nothing on the host (its own PID namespace), so tests look for a marker instead.
 */
export function hostProcessesWith(marker: string): number {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
    } catch {
      return false;
    }
  }).length;
}

/** Polls `check` until it holds or `ms` pass; the last answer. */
export async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
