import { type Severity } from './workflow.model.js';

/** One result of evaluating a gate: a blocker when blocking, else a warning. */
export interface Finding {
  /** The named check, `declarative`, `artifact_required`, `artifact_schema` or `approval_required`. */
  readonly check: string;
  readonly severity: Severity;
  readonly message: string;
  readonly gate?: string;
  readonly artifact?: string;
  /** JSON pointer inside `artifact`. */
  readonly pointer?: string;
  /** What the check found, when `message` is the workflow author's text. */
  readonly detail?: string;
  /** `approval_required`: the digest of the artifacts an approval must name. */
  readonly digest?: string;
}
