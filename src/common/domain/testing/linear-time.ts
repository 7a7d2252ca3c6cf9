import { createContext, Script } from 'node:vm';

/**
 * How much slower `work(adversarial)` runs than `work(baseline)` on inputs of the same size: a
 * ratio, so a noisy machine does not matter, and a watchdog so a quadratic regex fails the test
 * (as a huge ratio) instead of hanging it. The baseline time is floored at 1 ms, above timer noise.
 */
export function slowdown(work: (input: string) => unknown, adversarial: string, baseline: string): number {
  const base = Math.max(
    1,
    fastest(() => work(baseline), 3, 60_000),
  );
  const limit = base * 1000;
  const attack = fastest(() => work(adversarial), 3, limit);
  return attack / base;
}

const WATCHED = new Script('work()');

/** The fastest of `runs` runs in ms; a run past `limitMs` is interrupted and counts as the limit. */
function fastest(work: () => unknown, runs: number, limitMs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    try {
      WATCHED.runInContext(createContext({ work }), { timeout: Math.ceil(limitMs) });
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      return limitMs;
    }
    best = Math.min(best, performance.now() - started);
  }
  return best;
}
