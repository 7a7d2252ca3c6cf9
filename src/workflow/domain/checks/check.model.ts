/** Artifacts submitted (and stored) for a task, by artifact type. */
export type ArtifactMap = Readonly<Record<string, unknown>>;

export type CheckParams = Readonly<Record<string, unknown>>;

export interface CheckOutcome {
  readonly passed: boolean;
  /** Why, in words an agent can act on; also set on success for logs. */
  readonly detail: string;
  readonly artifact?: string;
  /** JSON pointer inside `artifact` the outcome is about. */
  readonly pointer?: string;
}

export type ParamType = 'number' | 'integer' | 'string' | 'string_list' | 'count_or_names';

export interface ParamSpec {
  readonly type: ParamType;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly description: string;
}

/** A named gate check: pure, synchronous, reads only the artifacts and its params. */
export interface CheckDefinition {
  readonly name: string;
  readonly description: string;
  readonly params: Readonly<Record<string, ParamSpec>>;
  run(artifacts: ArtifactMap, params: CheckParams): CheckOutcome;
}

export const pass = (detail: string): CheckOutcome => ({ passed: true, detail });

export function fail(detail: string, artifact?: string, pointer?: string): CheckOutcome {
  const outcome: { -readonly [K in keyof CheckOutcome]: CheckOutcome[K] } = { passed: false, detail };
  if (artifact !== undefined) outcome.artifact = artifact;
  if (pointer !== undefined) outcome.pointer = pointer;
  return outcome;
}
