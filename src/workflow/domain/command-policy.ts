import { parse, type ParseEntry } from 'shell-quote';
import { toWorkspacePath } from './path-policy.js';
import { type ToolConstraintSpec } from './workflow.model.js';
import { wildcardMatch } from './wildcard.js';

/**
 * Command constraints. The raw text is scanned with shell quoting rules to find every
 * operator (shell-quote alone misses some that a shell executes: backticks and `$(…)`
 * inside double quotes, newlines, `#` glued to a word); shell-quote then splits the words.
 * Allowed commands match as a token prefix (`npm test` allows `npm test -- --ci`, not
 * `npm testx`); forbidden commands match more widely (program name, then their words in
 * order, after `env`/`sudo`/… wrappers and `VAR=x` prefixes), and `sh -c '…'` is checked
 * inside. Allowlists are the real control; forbidden lists are a second net.
 */

export interface CommandRules {
  readonly allowed: readonly CommandPattern[] | null;
  readonly forbidden: readonly CommandPattern[];
  readonly operators: ReadonlySet<string> | 'all';
}

export interface CommandPattern {
  readonly text: string;
  readonly tokens: readonly ((word: string) => boolean)[];
}

export type CommandVerdict =
  { readonly ok: true } | { readonly ok: false; readonly rule: CommandRule; readonly reason: string };

export type CommandRule =
  'shell_operator' | 'forbidden_commands' | 'allowed_commands' | 'path_escape' | 'invalid_command';

const NO_OPERATORS: ReadonlySet<string> = new Set();

/** Words no shell would treat specially: no quotes, escapes, expansions, globs or operators. */
const PLAIN_WORDS = /^[\w./:=,@%+\- \t]+$/;

export function compileCommandRules(constraint: ToolConstraintSpec | undefined): CommandRules {
  const ops = constraint?.allow_shell_operators ?? false;
  return {
    allowed:
      constraint && constraint.allowed_commands.length > 0
        ? constraint.allowed_commands.map(compilePattern)
        : null,
    forbidden: (constraint?.forbidden_commands ?? []).map(compilePattern),
    operators: ops === true ? 'all' : ops === false ? NO_OPERATORS : new Set(ops),
  };
}

function compilePattern(text: string): CommandPattern {
  const tokens = text
    .trim()
    .split(/\s+/)
    .map((t) => {
      if (!/[*?]/.test(t)) return (w: string) => w === t;
      return (w: string) => wildcardMatch(t, w);
    });
  return { text, tokens };
}

const CONTROL = new Set([';', '&&', '||', '|', '|&', '&', ';;', '(', ')', '<(', '>(']);
const REDIRECT = new Set(['>', '>>', '>|', '&>', '>&', '<', '<&', '<<', '<<<']);
const WRAPPERS = new Set([
  'env',
  'sudo',
  'doas',
  'nohup',
  'time',
  'nice',
  'ionice',
  'command',
  'exec',
  'xargs',
  'stdbuf',
  'timeout',
  'builtin',
]);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish']);
const OPERATOR_CHARS = [
  '<<<',
  '&&',
  '||',
  ';;',
  '|&',
  '>>',
  '>|',
  '&>',
  '>&',
  '<&',
  '<<',
  '<(',
  '>(',
  ';',
  '&',
  '|',
  '>',
  '<',
  '(',
  ')',
];

/** Operators a shell would see in `cmd`, in order; quoting and escapes respected. */
export function scanOperators(cmd: string): {
  ops: string[];
  newlines: number[];
  unbalanced: boolean;
  comment: boolean;
} {
  const ops: string[] = [];
  const newlines: number[] = [];
  let quote: '' | "'" | '"' = '';
  let wordStart = true;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (quote === "'") {
      if (c === "'") quote = '';
      continue;
    }
    if (c === '\\') {
      i++;
      wordStart = false;
      continue;
    }
    if (c === '`') ops.push('`');
    else if (c === '$') {
      const n = cmd[i + 1] ?? '';
      if (n === '(') ops.push('$(');
      else if (/[A-Za-z0-9_{@*#?$!-]/.test(n)) ops.push('$');
    } else if (quote === '"') {
      if (c === '"') quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '\n' || c === '\r') {
      ops.push('newline');
      newlines.push(i);
    } else if (c === '#' && wordStart) {
      return { ops, newlines, unbalanced: false, comment: true };
    } else if (';&|<>()'.includes(c)) {
      const op = OPERATOR_CHARS.find((o) => cmd.startsWith(o, i)) as string;
      ops.push(op);
      i += op.length - 1;
      wordStart = true;
      continue;
    }
    wordStart = quote === '' && (c === ' ' || c === '\t' || c === '\n');
  }
  return { ops, newlines, unbalanced: quote !== '', comment: false };
}

function replaceAt(text: string, positions: readonly number[], char: string): string {
  const chars = text.split('');
  for (const p of positions) chars[p] = char;
  return chars.join('');
}

/** Checks a command string (run by a shell) or argv list (run without one). */
export function checkCommand(
  command: string | readonly string[],
  rules: CommandRules,
  root: string,
  depth = 0,
): CommandVerdict {
  if (typeof command !== 'string') return checkSegment([...command], [], rules, root, depth);
  if (command.trim() === '') return deny('invalid_command', 'empty command');
  // Most commands are plain words (no quotes, expansions, globs or operators): splitting them
  // on blanks is exactly what a shell does, and skips the scan and shell-quote, whose
  // per-call regex building costs ~20× the rest of a decision.
  if (PLAIN_WORDS.test(command)) return checkSegment(command.trim().split(/[ \t]+/), [], rules, root, depth);
  const scan = scanOperators(command);
  if (scan.unbalanced) return deny('invalid_command', 'unbalanced quotes in command');
  if (scan.comment) return deny('shell_operator', "shell comments ('#') are not allowed in commands");
  if (rules.operators !== 'all') {
    const bad = scan.ops.find((op) => !(rules.operators as ReadonlySet<string>).has(op));
    if (bad) return deny('shell_operator', `shell operator '${bad}' is not allowed`);
  }
  // shell-quote reads a newline as a space; a shell runs it as ';', and so must the checks.
  const text = scan.newlines.length === 0 ? command : replaceAt(command, scan.newlines, ';');
  const entries = parse(text, (name) => `$${name}`);
  let words: string[] = [];
  let targets: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry: ParseEntry = entries[i];
    if (typeof entry === 'string') {
      words.push(entry);
    } else if ('op' in entry && entry.op === 'glob') {
      words.push((entry as { pattern: string }).pattern);
    } else if ('op' in entry && REDIRECT.has(entry.op)) {
      const next = entries[i + 1];
      if (typeof next === 'string') {
        targets.push(next);
        i++;
      }
    } else if ('comment' in entry) {
      // The scan found no comment, so shell-quote read a '#' inside a word as one: the two
      // parsers disagree about what runs, and the text after it would go unchecked.
      return deny('shell_operator', "'#' inside a word is ambiguous; quote it");
    } else if ('op' in entry && CONTROL.has(entry.op)) {
      const verdict = checkSegment(words, targets, rules, root, depth);
      if (!verdict.ok) return verdict;
      words = [];
      targets = [];
    }
  }
  return checkSegment(words, targets, rules, root, depth);
}

function checkSegment(
  words: string[],
  targets: string[],
  rules: CommandRules,
  root: string,
  depth: number,
): CommandVerdict {
  for (const target of targets) {
    const r = toWorkspacePath(target, root);
    if (!r.ok) return deny('path_escape', `redirection target: ${r.reason}`);
  }
  if (words.length === 0) return { ok: true };
  for (let i = 1; i < words.length; i++) {
    const escape = pathEscape(words[i], root);
    if (escape) return deny('path_escape', `argument ${escape}`);
  }
  const starts = commandStarts(words);
  for (const pattern of rules.forbidden) {
    if (matchesForbidden(pattern, words, starts))
      return deny('forbidden_commands', `command '${pattern.text}' is forbidden`);
  }
  if (rules.allowed && !rules.allowed.some((p) => matchesPrefix(p, words))) {
    return deny(
      'allowed_commands',
      `command '${words.slice(0, 3).join(' ')}' is not in allowed_commands (${rules.allowed.map((p) => p.text).join(', ')})`,
    );
  }
  const inner = shellScript(words, starts);
  if (inner !== undefined) {
    if (depth >= 3) return deny('invalid_command', 'nested shells are too deep');
    return checkCommand(inner, { ...rules, allowed: null }, root, depth + 1);
  }
  return { ok: true };
}

/** A word that names a path outside the workspace (absolute, `~`, or climbing with `..`). */
function pathEscape(word: string, root: string): string | undefined {
  if (word.includes('://')) return undefined;
  const eq = word.startsWith('-') ? word.indexOf('=') : -1;
  const candidate = eq >= 0 ? word.slice(eq + 1) : word;
  if (!/^[/~]/.test(candidate) && !/(^|\/)\.\.(\/|$)/.test(candidate)) return undefined;
  const r = toWorkspacePath(candidate, root);
  return r.ok ? undefined : r.reason;
}

const basename = (word: string): string => word.slice(word.lastIndexOf('/') + 1);

const isAssignment = (w: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*=/.test(w);

/**
 * Where a program may start in `words`: after `VAR=x` prefixes, and anywhere after a
 * wrapper (`env`, `sudo -u x`, `timeout 5`, `xargs`…) since its options are not parsed.
 */
interface CommandStart {
  readonly index: number;
  /** The program's name without its directory: `/usr/bin/git` → `git`. */
  readonly name: string;
}

function commandStarts(words: readonly string[]): CommandStart[] {
  let k = 0;
  while (k < words.length && isAssignment(words[k])) k++;
  const starts: CommandStart[] = [];
  let afterWrapper = false;
  for (; k < words.length; k++) {
    const name = basename(words[k]);
    starts.push({ index: k, name });
    if (WRAPPERS.has(name)) afterWrapper = true;
    else if (!afterWrapper) break;
  }
  return starts;
}

function matchesForbidden(
  pattern: CommandPattern,
  words: readonly string[],
  starts: readonly CommandStart[],
): boolean {
  return starts.some(({ index: k, name }) => {
    if (!pattern.tokens[0](name)) return false;
    let t = 1;
    for (let i = k + 1; i < words.length && t < pattern.tokens.length; i++)
      if (pattern.tokens[t](words[i])) t++;
    return t === pattern.tokens.length;
  });
}

function matchesPrefix(pattern: CommandPattern, words: readonly string[]): boolean {
  return words.length >= pattern.tokens.length && pattern.tokens.every((test, i) => test(words[i]));
}

/** The script of `sh -c '…'` (and other shells), if this is one. */
function shellScript(words: readonly string[], starts: readonly CommandStart[]): string | undefined {
  for (const { index: k, name } of starts) {
    if (!SHELLS.has(name)) continue;
    const c = words.findIndex((w, i) => i > k && /^-[a-z]*c[a-z]*$/.test(w));
    if (c > 0) return words[c + 1] ?? '';
  }
  return undefined;
}

const deny = (rule: CommandRule, reason: string): CommandVerdict => ({ ok: false, rule, reason });
