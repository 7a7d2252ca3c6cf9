import { type GlobOptions, type RegexBudget } from './regex-scan.js';

/** Paths sent to the matching worker at a time: few round trips, early stops stay early. */
const BATCH = 512;

/**
 * The entries whose path matches an agent's glob, in order. Matching runs in the budget's worker
 * (a glob compiles to a regex that can backtrack), a batch at a time so a caller that stops
 * early (max_results) does not wait for the whole walk.
 */
export async function* matchingEntries<E>(
  entries: AsyncIterable<E>,
  pathOf: (entry: E) => string,
  glob: { readonly pattern: string; readonly options: GlobOptions; readonly field: string },
  budget: RegexBudget,
): AsyncGenerator<E> {
  let batch: E[] = [];
  const flush = async () => {
    const hits = await budget.matchingPaths(batch.map(pathOf), glob.pattern, glob.options, glob.field);
    const matched = hits.map((i) => batch[i]);
    batch = [];
    return matched;
  };
  for await (const entry of entries) {
    batch.push(entry);
    if (batch.length >= BATCH) yield* await flush();
  }
  if (batch.length > 0) yield* await flush();
}
