import { createContext, runInContext, Script } from 'node:vm';
import { toolFailed } from './tool-errors.js';

/**
 * Runs an agent's regular expression over lines under a wall-clock budget. V8's backtracking
 * engine can take exponential time (`(a+)+$`); capping line length is not enough, so matching
 * runs as a vm script with a timeout, which interrupts even a regex mid-match.
 */
const SCAN_SOURCE = `(function (lines, re, maxChars, limit) {
  var hits = [];
  for (var i = 0; i < lines.length && hits.length < limit; i++) {
    var line = lines[i];
    if (re.test(line.length > maxChars ? line.slice(0, maxChars) : line)) hits.push(i);
  }
  return hits;
})`;

interface ScanGlobals {
  scan?: (lines: readonly string[], re: RegExp, maxChars: number, limit: number) => number[];
  input?: { lines: readonly string[]; re: RegExp; maxChars: number; limit: number };
}

let sandbox: { context: ScanGlobals; call: Script } | undefined;

/** One context for the process: creating one costs milliseconds, a call microseconds. */
function scanSandbox(): { context: ScanGlobals; call: Script } {
  if (!sandbox) {
    const context = createContext({}) as ScanGlobals;
    context.scan = runInContext(SCAN_SOURCE, context) as ScanGlobals['scan'];
    sandbox = { context, call: new Script('scan(input.lines, input.re, input.maxChars, input.limit)') };
  }
  return sandbox;
}

export class RegexBudget {
  private readonly deadline: number;

  constructor(private readonly budgetMs: number) {
    this.deadline = performance.now() + budgetMs;
  }

  /** Indexes of the first `limit` lines matching `re`; throws `tool_failed` past the budget. */
  matchingLines(lines: readonly string[], re: RegExp, maxChars: number, limit: number): number[] {
    const remaining = Math.ceil(this.deadline - performance.now());
    if (remaining <= 0) throw this.exhausted();
    const { context, call } = scanSandbox();
    context.input = { lines, re, maxChars, limit };
    try {
      // Copied into this realm: the vm's arrays have another Array prototype.
      return Array.from(call.runInContext(context, { timeout: remaining }) as number[]);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw this.exhausted();
      throw error;
    } finally {
      context.input = undefined;
    }
  }

  private exhausted(): Error {
    return toolFailed(
      `the pattern took longer than ${this.budgetMs} ms to match; simplify it (nested quantifiers backtrack) or narrow 'path'`,
    );
  }
}
