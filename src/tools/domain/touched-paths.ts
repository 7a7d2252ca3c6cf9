import { pathForbidden } from './tool-errors.js';

export type PathAccess = 'read' | 'write';

/** Why the workflow's rules deny `rel` for this call, or null; `rel` is real and workspace-relative. */
export type ResolvedPathRule = (rel: string, access: PathAccess) => { reason: string; rule: string } | null;

/** Paths kept for the audit entry of one call; a walk can touch far more, and those are not kept. */
const MAX_KEPT = 100;

/**
 * The paths one tool call really touched, judged where they land: the policy saw the paths as
 * written, but a symlink inside the workspace can lead from an allowed path to a forbidden one.
 * Executors call `admit` for every path they resolve from an argument (it throws when the rules
 * deny it) and `allows` for each file a walk meets (skipped when denied).
 */
export class TouchedPaths {
  private readonly kept = new Set<string>();

  constructor(private readonly rule: ResolvedPathRule = () => null) {}

  /** Throws `tool_forbidden` naming the real path; `label` is the argument as given (`path 'x'`). */
  admit(rel: string, access: PathAccess, label: string): void {
    const denied = this.rule(rel, access);
    if (denied) {
      const where = label.endsWith(`'${rel}'`) ? label : `${label} resolves to '${rel}', which`;
      throw pathForbidden(`${where} ${denied.reason}`, denied.rule, rel);
    }
    if (this.kept.size < MAX_KEPT) this.kept.add(rel);
  }

  allows(rel: string, access: PathAccess): boolean {
    return this.rule(rel, access) === null;
  }

  /**
   * Records a directory a call starts from (a search root, a command's cwd) without judging it:
   * patterns name files, and what is read below it is judged file by file.
   */
  note(rel: string): void {
    if (this.kept.size < MAX_KEPT) this.kept.add(rel);
  }

  /** The admitted paths, in the order first met. */
  list(): string[] {
    return [...this.kept];
  }
}
