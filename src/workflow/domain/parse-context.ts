import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { type WorkflowProblem } from './workflow-load.error.js';
import { type LoadWarning, type SourceLocation, type UnenforcedKey } from './workflow.model.js';

export type YamlPath = readonly (string | number)[];

/** `phases[1].gates[0].id` — how a path is shown to people. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out || '(root)';
}

/**
 * Collects problems and not-enforced keys while a YAML document is read, and turns a path
 * into the source position of its node, so every problem carries `file:line:col`.
 */
export class ParseContext {
  readonly problems: WorkflowProblem[] = [];
  readonly warnings: LoadWarning[] = [];
  readonly unenforced: UnenforcedKey[] = [];
  /** Where a path inside each schema (by schema name) was written, in this file or its own. */
  readonly schemaLocators = new Map<string, (path: YamlPath) => SourceLocation>();
  /** Where each parsed spec came from, so later cross-checks can point at its fields. */
  private readonly origins = new WeakMap<object, YamlPath>();

  constructor(
    readonly file: string,
    private readonly doc: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  /** Position of the value at `path`, or of its nearest existing ancestor. */
  at(path: YamlPath): SourceLocation {
    return this.position(this.nodeAt(path, false));
  }

  /** Position of the key naming `path` (falls back like `at`). */
  keyAt(path: YamlPath): SourceLocation {
    return this.position(this.nodeAt(path, true));
  }

  remember<T extends object>(spec: T, path: YamlPath): T {
    this.origins.set(spec, path);
    return spec;
  }

  pathOf(spec: object): YamlPath {
    return this.origins.get(spec) ?? [];
  }

  /** The scalar at `path` as written (`1.0` stays "1.0", where the value would be 1). */
  sourceText(path: YamlPath): string | undefined {
    const { node, complete } = this.walk(path, false);
    return complete && isScalar(node) ? (node.source ?? String(node.value)) : undefined;
  }

  problem(path: YamlPath, message: string, fix?: string): void {
    this.problemAt(this.at(path), message, fix);
  }

  problemAt(location: SourceLocation, message: string, fix?: string): void {
    this.problems.push(fix ? { ...location, message, fix } : { ...location, message });
  }

  /** Loads, but deserves the author's eye; never fails the load. */
  warn(path: YamlPath, message: string, fix?: string): void {
    this.warnAt(this.at(path), message, fix);
  }

  warnAt(location: SourceLocation, message: string, fix?: string): void {
    this.warnings.push(fix ? { ...location, message, fix } : { ...location, message });
  }

  keepUnenforced(path: YamlPath, value: unknown): void {
    this.unenforced.push({ path: formatPath(path), location: this.keyAt(path), value });
  }

  private nodeAt(path: YamlPath, wantKey: boolean): Node | null {
    return this.walk(path, wantKey).node;
  }

  /** Follows `path` as far as it exists; `complete` says whether it got to the end. */
  private walk(path: YamlPath, wantKey: boolean): { node: Node | null; complete: boolean } {
    let node: unknown = this.doc?.contents ?? null;
    let found = node as Node | null;
    let depth = 0;
    for (let i = 0; i < path.length && node; i++) {
      const part = path[i];
      let next: unknown = undefined;
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
        );
        if (pair) next = wantKey && i === path.length - 1 ? pair.key : (pair.value ?? pair.key);
      } else if (isSeq(node) && typeof part === 'number') {
        next = node.items[part];
      }
      if (!next) break;
      node = next;
      found = next as Node;
      depth = i + 1;
    }
    return { node: found, complete: depth === path.length };
  }

  private position(node: Node | null): SourceLocation {
    const offset = node?.range?.[0];
    if (offset === undefined || !this.lines) return { file: this.file, line: 1, col: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }
}
