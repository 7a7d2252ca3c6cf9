import { Worker } from 'node:worker_threads';
import { toolFailed } from './tool-errors.js';

/**
 * Runs an agent's regular expression over lines in a worker thread, under a wall-clock budget.
 * V8's backtracking engine can take exponential time (`(a+)+$`); on the main thread even a
 * budget stalls every other request until it runs out, so matching happens off it and a
 * worker past the budget is terminated (which stops a regex mid-match). JavaScript syntax is
 * kept: a linear engine (RE2) would refuse lookaround and backreferences agents use. A worker
 * still burns a core until its budget ends, so grep takes a command slot (see ToolsService).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ lines, source, flags, maxChars, limit }) => {
  const re = new RegExp(source, flags);
  const hits = [];
  for (let i = 0; i < lines.length && hits.length < limit; i++) {
    const line = lines[i];
    if (re.test(line.length > maxChars ? line.slice(0, maxChars) : line)) hits.push(i);
  }
  parentPort.postMessage(hits);
});
`;

/** Heap of one matching worker: lines of one file (≤ searchMaxFileBytes) and the regex's state. */
const WORKER_HEAP_MB = 256;

export class RegexBudget {
  private readonly deadline: number;
  private worker: Worker | undefined;

  constructor(private readonly budgetMs: number) {
    this.deadline = performance.now() + budgetMs;
  }

  /** Indexes of the first `limit` lines matching `re`; throws `tool_failed` past the budget. */
  async matchingLines(
    lines: readonly string[],
    re: RegExp,
    maxChars: number,
    limit: number,
  ): Promise<number[]> {
    const remaining = Math.ceil(this.deadline - performance.now());
    if (remaining <= 0) throw this.exhausted();
    const worker = (this.worker ??= new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    }));
    return new Promise<number[]>((resolve, reject) => {
      const settle = (error: Error | undefined, hits?: number[]) => {
        clearTimeout(timer);
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        if (error) {
          void this.close();
          reject(error);
        } else resolve(hits ?? []);
      };
      const onMessage = (hits: number[]) => settle(undefined, hits);
      const onError = (error: Error) =>
        settle(toolFailed(`the pattern could not be matched: ${error.message}`));
      const onExit = () => settle(toolFailed('the pattern could not be matched: the matcher stopped'));
      const timer = setTimeout(() => settle(this.exhausted()), remaining);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage({ lines, source: re.source, flags: re.flags, maxChars, limit });
    });
  }

  /** Stops the worker (at the end of a search, or after a timeout). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private exhausted(): Error {
    return toolFailed(
      `the pattern took longer than ${this.budgetMs} ms to match; simplify it (nested quantifiers backtrack) or narrow 'path'`,
    );
  }
}
