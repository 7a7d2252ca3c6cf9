/** Refusals beyond the burst of one key in one window, written later as one summary. */
export interface RefusalSummary {
  key: string;
  /** Refusals counted, not written one by one. */
  count: number;
  /** How many of them had each error code. */
  codes: Record<string, number>;
  /** When the window began and when the last counted refusal came (ms since the epoch). */
  windowStart: number;
  windowEnd: number;
  lastAt: number;
}

interface Window {
  start: number;
  written: number;
  counted: number;
  codes: Map<string, number>;
  lastAt: number;
}

/**
 * Decides which refused credentials get an audit entry of their own. Per key (a request's
 * source, or an authenticated subject) and window: the first `burst` refusals are written one by
 * one; the rest are counted and come back from `due` (window over) or `drain` (shutdown) as one
 * summary with the count and a breakdown by code. So a flood of junk tokens costs the audit log
 * a few entries per source and window instead of one per request, and cannot push real entries
 * out of the retained files. Memory is bounded: past `maxKeys` the oldest window is summarized
 * early rather than forgotten, so no refusal goes uncounted.
 */
export class RefusalAggregator {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly burst: number,
    private readonly maxKeys: number,
  ) {}

  /**
   * Notes one refusal. `write` says whether it gets its own entry; `evicted` is a summary that
   * had to be closed early to make room, to be written now.
   */
  add(key: string, code: string, now: number): { write: boolean; evicted?: RefusalSummary } {
    let window = this.windows.get(key);
    let evicted: RefusalSummary | undefined;
    if (window && now >= window.start + this.windowMs) {
      evicted = this.summaryOf(key, window);
      this.windows.delete(key);
      window = undefined;
    }
    if (!window) {
      if (!evicted && this.windows.size >= this.maxKeys) {
        const [oldestKey, oldest] = this.windows.entries().next().value!;
        this.windows.delete(oldestKey);
        evicted = this.summaryOf(oldestKey, oldest);
      }
      window = { start: now, written: 0, counted: 0, codes: new Map(), lastAt: now };
      this.windows.set(key, window);
    }
    window.lastAt = now;
    if (window.written < this.burst) {
      window.written++;
      return evicted ? { write: true, evicted } : { write: true };
    }
    window.counted++;
    window.codes.set(code, (window.codes.get(code) ?? 0) + 1);
    return evicted ? { write: false, evicted } : { write: false };
  }

  /** Summaries of the windows that have ended by `now` (windows with nothing counted just close). */
  due(now: number): RefusalSummary[] {
    const out: RefusalSummary[] = [];
    for (const [key, window] of this.windows) {
      if (now < window.start + this.windowMs) continue;
      this.windows.delete(key);
      const summary = this.summaryOf(key, window);
      if (summary) out.push(summary);
    }
    return out;
  }

  /** Every pending summary, for shutdown. */
  drain(): RefusalSummary[] {
    const out = [...this.windows].map(([key, window]) => this.summaryOf(key, window));
    this.windows.clear();
    return out.filter((s): s is RefusalSummary => s !== undefined);
  }

  /** Keys with an open window. */
  get size(): number {
    return this.windows.size;
  }

  private summaryOf(key: string, window: Window): RefusalSummary | undefined {
    if (window.counted === 0) return undefined;
    return {
      key,
      count: window.counted,
      codes: Object.fromEntries(window.codes),
      windowStart: window.start,
      windowEnd: window.start + this.windowMs,
      lastAt: window.lastAt,
    };
  }
}
