/**
 * Tolerant readers over artifact shapes (documented in workflows/agent_workflow.yaml).
 * Checks accept the documented object forms and the plain-string shorthand the earlier
 * orchestrator's agents sent, so a check never throws on unexpected input: it fails.
 */

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

export function asList(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/**
 * Fields read first, in this order, for an entry's words: our schemas' `description`, the earlier
 * orchestrator's `criterion`/`how_to_verify` (its schemas/plan.json) and `step`, and common names.
 */
const TEXT_KEYS = [
  'description',
  'criterion',
  'text',
  'title',
  'step',
  'question',
  'body',
  'name',
  'summary',
  'statement',
  'requirement',
  'action',
  'details',
  'how_to_verify',
  'verification',
];

/** Fields that label or classify an entry: a value there is not the entry's words. */
const LABEL_KEYS = new Set(['id', 'status', 'type', 'kind', 'priority', 'severity', 'state', 'category']);

const words = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

/**
 * The words of a list entry: a string, or an object's first non-blank text field (TEXT_KEYS,
 * then any other string field but a label). An entry is empty when it has no words at all, so
 * every shape a plan schema may require (`{id, description}`, `{criterion, how_to_verify}`) is read.
 */
export function entryText(entry: unknown): string {
  if (typeof entry === 'string') return entry.trim();
  const obj = asObject(entry);
  if (!obj) return '';
  for (const key of TEXT_KEYS) {
    const text = words(obj[key]);
    if (text !== '') return text;
  }
  for (const [key, value] of Object.entries(obj)) {
    const text = LABEL_KEYS.has(key) ? '' : words(value);
    if (text !== '') return text;
  }
  return '';
}

export function stringParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  fallback: string,
): string {
  const v = params[key];
  return typeof v === 'string' ? v : fallback;
}

export function numberParam(
  params: Readonly<Record<string, unknown>>,
  key: string,
  fallback: number,
): number {
  const v = params[key];
  return typeof v === 'number' ? v : fallback;
}

/** A non-negative integer count field, or undefined when absent or malformed. */
export function countField(obj: Json, key: string): number | undefined {
  const v = obj[key];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** Acceptance criterion ids: an entry's `id`, else `AC<n>` by 1-based position. */
export function criterionIds(plan: Json): string[] {
  return (asList(plan['acceptance_criteria']) ?? []).map((entry, i) => {
    const id = asObject(entry)?.['id'];
    return typeof id === 'string' && id !== '' ? id : `AC${i + 1}`;
  });
}

const CLOSED_STATUSES = new Set(['addressed', 'resolved', 'fixed', 'wont_fix', 'closed', 'answered', 'done']);

/** Is a question, issue or comment still open? Strings are open; objects say otherwise. */
export function isOpen(entry: unknown): boolean {
  const obj = asObject(entry);
  if (!obj) return true;
  if (obj['resolved'] === true || obj['addressed'] === true) return false;
  const status = obj['status'];
  if (typeof status === 'string' && CLOSED_STATUSES.has(status.toLowerCase())) return false;
  const answer = obj['answer'];
  return !(typeof answer === 'string' && answer.trim() !== '');
}
