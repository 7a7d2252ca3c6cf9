import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { invalidToolArgs, toolFailed } from './tool-errors.js';

/**
 * Runs an agent's regular expression over lines, or an agent's glob over paths, in a worker
 * thread under a wall-clock budget. V8's backtracking engine can take exponential time
 * (`(a+)+$`), and picomatch compiles a glob into such a regex (`*a*a*a*a*a*b` retries every
 * split of a name; nested extglobs are slow even to compile); on the main thread even a budget
 * stalls every other request until it runs out, so compiling and matching happen off it and a
 * worker past the budget is terminated (which stops a regex mid-match). JavaScript regex and
 * picomatch glob syntax are kept: a linear engine would refuse lookaround, backreferences and
 * extglobs agents use. A worker still burns a core until its budget ends, so the calling tool
 * takes a command slot (`cpuBound`, see ToolsService).
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const picomatch = require(workerData.picomatch);
function linesMatching({ lines, source, flags, maxChars, limit }) {
  const re = new RegExp(source, flags);
  const hits = [];
  for (let i = 0; i < lines.length && hits.length < limit; i++) {
    const line = lines[i];
    if (re.test(line.length > maxChars ? line.slice(0, maxChars) : line)) hits.push(i);
  }
  return hits;
}
function pathsMatching({ paths, glob, options }) {
  let isMatch;
  try {
    isMatch = picomatch(glob, options);
  } catch (error) {
    return { invalid: String(error && error.message) };
  }
  const hits = [];
  for (let i = 0; i < paths.length; i++) if (isMatch(paths[i])) hits.push(i);
  return hits;
}
parentPort.on('message', (job) => {
  parentPort.postMessage(job.kind === 'paths' ? pathsMatching(job) : linesMatching(job));
});
`;

const PICOMATCH = createRequire(import.meta.url).resolve('picomatch');

/** Heap of one matching worker: lines of one file (≤ searchMaxFileBytes) and the regex's state. */
const WORKER_HEAP_MB = 256;

/** The picomatch options a glob is matched with (plain data: they cross to the worker). */
export interface GlobOptions {
  readonly dot: boolean;
  readonly basename: boolean;
}

type Job =
  | {
      kind: 'lines';
      lines: readonly string[];
      source: string;
      flags: string;
      maxChars: number;
      limit: number;
    }
  | { kind: 'paths'; paths: readonly string[]; glob: string; options: GlobOptions };

export class RegexBudget {
  private readonly deadline: number;
  private worker: Worker | undefined;

  constructor(private readonly budgetMs: number) {
    this.deadline = performance.now() + budgetMs;
  }

  /** Indexes of the first `limit` lines matching `re`; throws `tool_failed` past the budget. */
  matchingLines(lines: readonly string[], re: RegExp, maxChars: number, limit: number): Promise<number[]> {
    const job: Job = { kind: 'lines', lines, source: re.source, flags: re.flags, maxChars, limit };
    return this.run(job, 'pattern', "simplify it (nested quantifiers backtrack) or narrow 'path'");
  }

  /**
   * Indexes of the `paths` matching `glob` (picomatch syntax); throws `invalid_tool_args` naming
   * `field` if picomatch refuses the glob, `tool_failed` past the budget (shared with lines).
   */
  matchingPaths(
    paths: readonly string[],
    glob: string,
    options: GlobOptions,
    field: string,
  ): Promise<number[]> {
    if (paths.length === 0) return Promise.resolve([]);
    return this.run({ kind: 'paths', paths, glob, options }, field, 'use fewer wildcards in one name');
  }

  /** Stops the worker (at the end of a search, or after a timeout). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private run(job: Job, field: string, advice: string): Promise<number[]> {
    const remaining = Math.ceil(this.deadline - performance.now());
    if (remaining <= 0) return Promise.reject(this.exhausted(field, advice));
    const worker = (this.worker ??= new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { picomatch: PICOMATCH },
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
      const onMessage = (reply: number[] | { invalid: string }) =>
        Array.isArray(reply)
          ? settle(undefined, reply)
          : settle(invalidToolArgs(`'${field}' is not a valid glob: ${reply.invalid}`, field));
      const onError = (error: Error) =>
        settle(toolFailed(`the ${field} could not be matched: ${error.message}`));
      const onExit = () => settle(toolFailed(`the ${field} could not be matched: the matcher stopped`));
      const timer = setTimeout(() => settle(this.exhausted(field, advice)), remaining);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      worker.postMessage(job);
    });
  }

  private exhausted(field: string, advice: string): Error {
    return toolFailed(`the ${field} took longer than ${this.budgetMs} ms to match; ${advice}`);
  }
}
