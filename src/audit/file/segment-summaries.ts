import { AuditStatsAccumulator } from '../domain/audit-stats.js';

/**
 * Stats of whole rotated files. A rotated file never changes, so its counts and time range
 * are computed once: `stats` then scans only the current file (and files cut by `since`),
 * and a time-bounded query skips files outside its range. Keyed by name and size, so a file
 * replaced under the same name is summarised again.
 */
export class SegmentSummaries {
  private readonly byKey = new Map<string, AuditStatsAccumulator>();

  get(name: string, size: number): AuditStatsAccumulator | undefined {
    return this.byKey.get(`${name}\0${size}`);
  }

  set(name: string, size: number, summary: AuditStatsAccumulator): void {
    this.byKey.set(`${name}\0${size}`, summary);
  }

  /** Forgets files no longer retained. */
  retainOnly(names: readonly string[]): void {
    const keep = new Set(names);
    for (const key of this.byKey.keys())
      if (!keep.has(key.slice(0, key.indexOf('\0')))) this.byKey.delete(key);
  }

  get size(): number {
    return this.byKey.size;
  }
}
